"""Session users loaded with their scope, so every page reads role, region and OPD without
another query (the header's scope label, every ``*_visible_to`` and every rule).

Django's model permissions are never granted here: roles and ``rules`` decide what a user may
do (``core/rules.py``, ``programs/rules.py``), so a refused rule costs no permission query.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ScopedModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = (get_user_model()._default_manager.select_related("province", "regency", "agency")
                .filter(pk=user_id).first())
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()
