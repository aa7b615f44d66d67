"""The verification state machine, as data.

``TRANSITIONS[from][to]`` is the set of roles that may make that move; any move not listed
is refused by ``recipients.services.application_advance``. The district office of the
group's regency runs the checks; the provincial office approves, records delivery, and may
send back or reject at any open step.
"""

from recipients.models import State

DISTRICT = "district"
PROVINCE = "province"

TRANSITIONS: dict[str, dict[str, set[str]]] = {
    State.PROPOSED: {
        State.DOC_CHECKED: {DISTRICT},
        State.RETURNED: {DISTRICT, PROVINCE},
        State.REJECTED: {DISTRICT, PROVINCE},
    },
    State.DOC_CHECKED: {
        State.FIELD_CHECKED: {DISTRICT},
        State.RETURNED: {DISTRICT, PROVINCE},
        State.REJECTED: {DISTRICT, PROVINCE},
    },
    State.FIELD_CHECKED: {
        State.APPROVED: {PROVINCE},
        State.RETURNED: {PROVINCE},
        State.REJECTED: {PROVINCE},
    },
    State.APPROVED: {
        State.DELIVERED: {PROVINCE},
    },
    State.RETURNED: {
        # Corrected and proposed again, back to the step that failed (services.resubmit_target).
        State.PROPOSED: {DISTRICT},
        State.DOC_CHECKED: {DISTRICT},
        State.REJECTED: {DISTRICT, PROVINCE},
    },
    State.DELIVERED: {},
    State.REJECTED: {},
}

# Funnel order on charts and in the queue.
FUNNEL = [State.PROPOSED, State.DOC_CHECKED, State.FIELD_CHECKED, State.APPROVED, State.DELIVERED]

# What waits for whom: the queue of each role.
WAITING_FOR = {
    DISTRICT: [State.PROPOSED, State.DOC_CHECKED, State.RETURNED],
    PROVINCE: [State.FIELD_CHECKED, State.APPROVED],
}


def moves_for(state: str, role: str | None) -> list[str]:
    """The states this role may move an application in ``state`` to, in funnel order."""
    if role is None:
        return []
    return [to for to, roles in TRANSITIONS.get(state, {}).items() if role in roles]
