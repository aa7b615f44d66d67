"""What the public may see of recipients, decided by the models: each lists its
``PUBLISHED_FIELDS`` and this module reads those and nothing else. Person data (members, NIK,
phone, leader names) is in no such list, and KPM families are never listed at all.
"""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext as _

from recipients.models import Application, RecipientGroup, State

PUBLIC_STATES = (State.APPROVED, State.DELIVERED)


def published(obj) -> dict:
    """The published fields of ``obj`` as a dict (related objects as they are)."""
    return {name: getattr(obj, name) for name in type(obj).PUBLISHED_FIELDS}


def aided_groups(*, province=None, program=None):
    """Approved or delivered applications of IKM groups, newest decisions first, as rows of
    published fields plus the amount handed over. A queryset, paginated by the caller."""
    rows = (Application.objects.filter(state__in=PUBLIC_STATES, group__kind=RecipientGroup.Kind.IKM)
            .exclude(program__status="draft")
            .select_related("group__regency__parent", "program__agency")
            .annotate(handed_over=Sum("steps__handover_amount"))
            .order_by("group__regency__code", "group__name", "id"))
    if province is not None:
        rows = rows.filter(group__regency__parent=province)
    if program is not None:
        rows = rows.filter(program=program)
    return rows


def as_public_row(application) -> dict:
    group = published(application.group)
    if application.group.name_withheld_reason:
        group["name"] = None
        group["withheld_reason"] = application.group.name_withheld_reason
    sector = dict(RecipientGroup._meta.get_field("sector").choices).get(group["sector"], group["sector"])
    return {**published(application), "group": group, "sector_label": sector,
            "state_label": State(application.state).label, "handed_over": application.handed_over or 0,
            "withheld_label": _("Nama tidak dipublikasikan")}
