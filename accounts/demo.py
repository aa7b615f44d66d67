"""Demo logins: one per persona (``accounts.personas``). Password for all: ``ikmrelief-demo``.

Idempotent, and brings logins of an older demo database to their current role and scope
(the password a user set is kept).
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from accounts.personas import PERSONAS
from core.models import Region
from programs.models import Agency

DEMO_PASSWORD = "ikmrelief-demo"  # noqa: S105 - documented demo password, never used in production


@transaction.atomic
def load_users() -> int:
    regions = {r.code: r for r in Region.objects.filter(code__in={
        code for p in PERSONAS for code in (p.province, p.regency) if code})}
    for p in PERSONAS:
        scope = {
            "first_name": p.first_name, "last_name": p.last_name, "role": p.role,
            "province": regions.get(p.province), "regency": regions.get(p.regency),
            "agency": Agency.objects.get(short_name=p.agency) if p.agency else None,
            "district_office": p.district_office, "is_staff": p.role == User.Role.NATIONAL_ADMIN, "email": p.email,
        }
        user, created = User.objects.update_or_create(username=p.username, defaults=scope)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
    return len(PERSONAS)
