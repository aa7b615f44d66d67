"""Who may change budgets, as ``rules`` permissions over ``programs.policy``.

- ``programs.set_budget``: ceilings and allocations, the province's budget coordinator;
- ``programs.manage_program``: a program, the officers of its OPD (the model: any OPD officer);
- ``programs.record_realization``: an allocation's realizations, the officers acting for its
  program in the allocation's province.

Everyone in scope may view (see ``programs/selectors.py``).
"""

import rules

from core.rules import is_coordinator, is_provincial_officer, is_staff_member
from programs.policy import acts_for_agency, acts_for_program, can_set_budget


def _province_of(obj) -> int | None:
    if hasattr(obj, "ceiling_id") and not hasattr(obj, "province_id"):
        return obj.ceiling.province_id
    return getattr(obj, "province_id", None)


@rules.predicate
def sets_budget_of(user, obj) -> bool:
    """``obj`` is a ceiling or allocation of the coordinator's province (None: the model)."""
    return obj is None or can_set_budget(user, _province_of(obj))


@rules.predicate
def runs_program(user, program) -> bool:
    return program is None or acts_for_program(user, program)


@rules.predicate
def runs_allocation(user, allocation) -> bool:
    if allocation is None:
        return True
    agency = allocation.program.agency
    return acts_for_agency(user, agency.pk, agency.level, allocation.ceiling.province_id)


rules.add_perm("programs.set_budget", is_coordinator & sets_budget_of)
rules.add_perm("programs.manage_program", is_provincial_officer & runs_program)
rules.add_perm("programs.record_realization", is_provincial_officer & runs_allocation)
rules.add_perm("programs.view_budget", is_staff_member)
