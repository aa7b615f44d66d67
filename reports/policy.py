"""Who may do what in the reporting app: plain functions over (user, object), no query."""

from __future__ import annotations


def may_refresh_rollup(user, province=None) -> bool:
    """"Refresh now": the national admin anywhere; a province's coordinator or OPD officer, on
    their own province's page (``province`` None: anywhere they may press it)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_national_admin", False):
        return province is None
    return bool(getattr(user, "is_provincial", False) and (province is None or user.province_id == province.pk))
