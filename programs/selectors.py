"""Reads for budgets: who may see which rows, and the figures pages show.

Each ``*_visible_to(user)`` is the single place that decides a model's scope; every list,
detail, export, API and admin view starts from it.

- national admin: everything, read-only;
- coordinator, OPD officers and district staff: their own province (budgets are public figures;
  only the budget coordinator sets ceilings and allocations and only an OPD's officers record its
  realizations, see ``programs/policy.py``);
- anyone else: nothing.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from programs.models import (
    Agency,
    Allocation,
    BudgetCeiling,
    Program,
    Realization,
)


def _province_scope(user) -> tuple[bool, int | None]:
    """(sees everything, province id or None for nothing)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False, None
    if user.is_national_admin:
        return True, None
    if user.is_provincial or user.is_district_staff:
        return False, user.province_id
    if user.is_auditor:  # an inspectorate reads its province; without one, every province
        return user.province_id is None, user.province_id
    return False, None


def agencies_visible_to(user):
    everything, province_id = _province_scope(user)
    qs = Agency.objects.select_related("province", "regency")
    if everything:
        return qs
    if province_id is None:
        return qs.none()
    # National bodies (Kemenperin) run deconcentration programs in every province.
    return qs.filter(Q(province_id=province_id) | Q(level=Agency.Level.NATIONAL))


def programs_visible_to(user):
    everything, province_id = _province_scope(user)
    qs = Program.objects.select_related("agency__province")
    if everything:
        return qs
    if province_id is None:
        return qs.none()
    # A national program (Kemenperin deconcentration) is in scope where it has an allocation.
    allocated_here = Allocation.objects.filter(program=OuterRef("pk"), ceiling__province_id=province_id)
    national_here = Q(agency__level=Agency.Level.NATIONAL) & Exists(allocated_here)
    return qs.filter(Q(agency__province_id=province_id) | national_here)


def ceilings_visible_to(user):
    everything, province_id = _province_scope(user)
    qs = BudgetCeiling.objects.select_related("province", "funding_source", "source")
    if everything:
        return qs
    return qs.filter(province_id=province_id) if province_id else qs.none()


def allocations_visible_to(user):
    everything, province_id = _province_scope(user)
    qs = Allocation.objects.with_related()
    if everything:
        return qs
    return qs.filter(ceiling__province_id=province_id) if province_id else qs.none()


def realizations_visible_to(user):
    everything, province_id = _province_scope(user)
    qs = Realization.objects.select_related(
        "allocation__program__agency", "allocation__ceiling__province", "allocation__ceiling__funding_source",
        "created_by",
    )
    if everything:
        return qs
    return qs.filter(allocation__ceiling__province_id=province_id) if province_id else qs.none()


