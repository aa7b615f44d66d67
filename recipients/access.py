"""The record of who saw which person's data: written wherever a full NIK is shown, read by the
province's data-protection officer (what a breach notice within 3 × 24 hours must list).

Writes one row per showing (a page, a form, an export), never per person: an export of 10,000
groups is one row holding their ids. Reads are a few queries whatever the log's size."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from recipients.models import Member, PersonalDataView, RecipientGroup


def record(*, viewer, where: str, group_ids, path: str = "", members: bool = False) -> None:
    """Log that ``viewer`` was shown the full NIKs of these groups (nothing when there are none)."""
    ids = sorted({int(i) for i in group_ids})
    if ids:
        PersonalDataView.objects.create(viewer=viewer, where=where, path=path[:300], group_ids=ids, members=members)


def views_of(account, start: dt.datetime, end: dt.datetime):
    return PersonalDataView.objects.filter(viewer=account, created_at__gte=start, created_at__lt=end)


def persons_seen(account, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Every person whose full NIK ``account`` was shown in [start, end): each group's leader, and
    its members where the showing included them; with the first and last time and where. Three
    queries."""
    views = list(views_of(account, start, end).order_by("created_at"))
    leaders: dict[int, list] = {}
    with_members: set[int] = set()
    for view in views:
        for group_id in view.group_ids:
            leaders.setdefault(group_id, []).append(view)
            if view.members:
                with_members.add(group_id)
    groups = RecipientGroup.objects.filter(pk__in=leaders).select_related("regency").in_bulk()
    out = []
    for group_id, seen in leaders.items():
        group = groups.get(group_id)
        if group is None:
            continue
        first, last = seen[0], seen[-1]
        common = {"group": group, "first": first.created_at, "last": last.created_at,
                  "where": sorted({v.get_where_display() for v in seen}), "times": len(seen)}
        if group.leader_name or group.leader_nik:
            out.append({**common, "name": group.leader_name, "nik": group.leader_nik, "role": "ketua"})
    members = Member.objects.filter(group_id__in=with_members).select_related("group__regency").order_by("group_id",
                                                                                                          "id")
    for member in members:
        if member.nik and member.nik == member.group.leader_nik:
            continue  # the leader, listed above
        seen = leaders[member.group_id]
        out.append({"group": member.group, "first": seen[0].created_at, "last": seen[-1].created_at,
                    "where": sorted({v.get_where_display() for v in seen if v.members}), "times": len(seen),
                    "name": member.name, "nik": member.nik, "role": member.get_role_display()})
    out.sort(key=lambda p: (p["group"].name, p["role"] != "ketua", p["name"]))
    return out


def groups_could_see(account):
    """The groups whose full NIKs ``account``'s scope shows today: its regency and kind for district
    staff; none for the others (they see NIKs masked)."""
    if account.role != account.Role.DISTRICT_STAFF or not account.regency_id:
        return RecipientGroup.objects.none()
    return RecipientGroup.objects.filter(Q(regency_id=account.regency_id, kind=account.district_office))
