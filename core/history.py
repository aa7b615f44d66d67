"""Reading django-pghistory snapshots as "who changed what, old → new": one helper for every app
that shows a record's history (budgets, groups, staff accounts)."""

from __future__ import annotations

from django.contrib.auth import get_user_model


def history_user_names(events) -> dict[int, str]:
    """The names of the users pghistory ``events`` were made by (their context's ``user``). One query."""
    user_ids = {e.pgh_context.metadata.get("user") for e in events if e.pgh_context} - {None}
    return {u.pk: (u.get_full_name() or u.username) for u in get_user_model().objects.filter(pk__in=user_ids)}


def record_history(obj, *, fields: tuple[str, ...]) -> list[dict]:
    """Every recorded change of ``obj`` (django-pghistory snapshots), newest first.

    ``{"when", "who", "changes": [(field, old, new)], "reason"}``; snapshots that change none
    of ``fields`` are skipped. Two queries: the snapshots with their context, and the users
    they name. Bulk updates are recorded too: the snapshots come from database triggers.
    """
    snapshots = list(
        type(obj).pgh_event_model.objects.filter(pgh_obj=obj).select_related("pgh_context").order_by("pgh_id")
    )
    names = history_user_names(snapshots)
    history, previous = [], None
    for snap in snapshots:
        changes = [
            (field, getattr(previous, field) if previous else None, getattr(snap, field))
            for field in fields
            if previous is None or getattr(previous, field) != getattr(snap, field)
        ]
        previous = snap
        if not changes:
            continue
        context = snap.pgh_context.metadata if snap.pgh_context else {}
        history.append(
            {
                "when": snap.pgh_created_at,
                "who": names.get(context.get("user")),
                "created": len(history) == 0,
                "changes": changes,
                "reason": context.get("reason", ""),
            }
        )
    history.reverse()
    return history
