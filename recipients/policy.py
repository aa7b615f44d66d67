"""Who may see which person data of a recipient group: asked by every page, form, list, export,
the offline package and the admin that can show a NIK or name a group.

Plain functions over (user, object) that cost no query when the group's ``regency`` is loaded.
``selectors.groups_visible_to`` is the same rule as a query filter (``_region_filter``); the
two are kept equal by ``tests/core/test_personal_data.py``.
"""

from __future__ import annotations

from recipients.models import RecipientGroup


def may_see_group(user, group: RecipientGroup) -> bool:
    """The group is in the user's scope: their regency *and* the kind their office verifies
    (district staff), their province (coordinator and OPD officers), anywhere (national admin)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_national_admin:
        return True
    if user.is_district_staff:
        return group.regency_id == user.regency_id and group.kind == user.district_office
    if user.is_provincial:
        return group.province_id == user.province_id
    return False


def may_see_nik(user, group: RecipientGroup) -> bool:
    """A full NIK only for the district office that verifies the group (its regency and kind);
    everyone else, the province and the national admin included, sees it masked."""
    return bool(getattr(user, "is_district_staff", False)) and may_see_group(user, group)


def mask_nik(nik: str) -> str:
    """``3604••••••••0102``: the region and the serial, as the group page shows it."""
    if not nik:
        return nik
    return f"{nik[:4]}{'•' * 8}{nik[-4:]}" if len(nik) == 16 else ("•" * len(nik))


def shown_nik(user, group: RecipientGroup, nik: str) -> str:
    """``nik`` as this user may see it on ``group``."""
    return nik if may_see_nik(user, group) else mask_nik(nik)
