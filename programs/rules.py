"""Who may change budgets: the provincial officer of the object's province.

Everyone in scope may view (see ``programs/selectors.py``); these rules decide writes with
the same ``can_manage_province`` that ``programs.services`` checks again before writing.
"""

import rules

from accounts.rules import is_provincial_officer, is_staff_member
from programs.services import can_manage_province


@rules.predicate
def manages_province_of(user, obj) -> bool:
    """``obj`` is a ceiling, allocation or program of the officer's province (None: the model)."""
    if obj is None:
        return True
    province_id = getattr(obj, "province_id", None)
    if province_id is None and hasattr(obj, "ceiling"):
        province_id = obj.ceiling.province_id
    if province_id is None and hasattr(obj, "agency"):
        province_id = obj.agency.province_id
    return province_id is not None and can_manage_province(user, province_id)


can_manage_budget = is_provincial_officer & manages_province_of

rules.add_perm("programs.manage_budget", can_manage_budget)
rules.add_perm("programs.view_budget", is_staff_member)
