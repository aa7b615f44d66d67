"""Every write to groups, members and applications goes through here: ``groups`` (registration,
correction, publication, the NIK/NIB/phone checks) and ``applications`` (proposals, look-alike
flags, verification moves). The names below are the package's API; callers import the package."""

from recipients.services.applications import (
    Handover,
    StaleStep,
    application_advance,
    application_propose,
    applications_propose_new,
    carried_answers,
    duplicate_resolve,
    latest_return,
    passed_answers,
    resubmit_target,
)
from recipients.services.groups import (
    GroupData,
    MemberData,
    group_create,
    group_update,
    group_withhold_name,
    nib_problem,
    nik_problem,
    normalize_name,
    phone_problem,
)

__all__ = [
    "GroupData", "Handover", "MemberData", "StaleStep", "application_advance", "application_propose",
    "applications_propose_new", "carried_answers", "duplicate_resolve", "group_create", "group_update",
    "group_withhold_name", "latest_return", "nib_problem", "nik_problem", "normalize_name", "passed_answers",
    "phone_problem", "resubmit_target",
]
