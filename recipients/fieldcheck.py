"""The field check (*cek lapangan*) taken offline on a phone and sent back later.

District staff take applications that wait for their field check onto the device
(``package``): only what the check needs — the group, its members with NIK masked, the
program's criteria, what already passed and the steps so far. The device sends each check
back with an id of its own (``submit``); the server takes it through the same
``services.application_advance`` and the same version check as the online form, and a resend
of the same id returns the step already made instead of making a second one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from recipients import policy, selectors, services
from recipients.models import Application, State, VerificationStep

# How many applications one "take offline" stores on the device at most.
PACKAGE_MAX = 50
# Photos per check (each one checked like any evidence upload: type, size).
PHOTOS_MAX = 5


def offline_candidates(user):
    """What district staff may take offline: their queue's applications waiting for the field check."""
    if not policy.registers_groups(user):
        return Application.objects.none()
    return selectors.queue_for(user).filter(state=State.DOC_CHECKED)


def _step_row(step: VerificationStep) -> dict:
    return {
        "id": step.pk, "at": step.created_at.isoformat(timespec="seconds"),
        "from": step.get_from_state_display(), "to": step.get_to_state_display(), "to_state": step.to_state,
        "actor": (step.actor.get_full_name() or step.actor.username) if step.actor else _("sistem"),
        "note": step.note,
    }


def package(user, ids) -> list[dict]:
    """The applications (of ``ids``, in the user's offline candidates) as the device stores them.
    Four queries whatever the number: applications, members, steps with actors, and nothing per row."""
    applications = list(
        offline_candidates(user).filter(pk__in=list(ids)[:PACKAGE_MAX])
        .select_related("group__regency", "program__agency")
        .prefetch_related("group__members", "steps__actor")
        .order_by("group__name", "id")
    )
    rows = []
    for a in applications:
        steps = list(a.steps.all())
        # As services.carried_answers, from the steps already prefetched.
        carried = services.passed_answers(next((s for s in reversed(steps) if s.answers), None), a.program.criteria)
        g = a.group
        rows.append({
            "id": a.pk, "state": a.state, "state_label": a.get_state_display(), "version": a.version,
            "last_step_id": steps[-1].pk if steps else 0,
            "url": reverse("recipients:application-detail", args=[a.pk]),
            "group": {
                "name": g.name, "kind": g.get_kind_display(), "regency": g.regency.name, "kecamatan": g.kecamatan,
                "desa": g.desa, "sector": g.get_sector_display(), "leader_name": g.leader_name,
                "leader_nik": policy.mask_nik(g.leader_nik),
                "members_count": g.members_count,
                # Masked on the device whoever holds it: the check compares people, not numbers.
                "members": [{"name": m.name, "role": m.get_role_display(), "nik": policy.mask_nik(m.nik)}
                            for m in g.members.all()],
            },
            "program": {"name": a.program.name, "agency": a.program.agency.name,
                        "fiscal_year": a.program.fiscal_year},
            "criteria": [c for c in a.program.criteria if c not in carried],
            "carried": carried,
            "steps": [_step_row(s) for s in steps],
        })
    return rows


@dataclass
class Submission:
    """One field check as the device sends it."""

    submission_id: uuid.UUID
    application_id: int
    expected_state: str
    expected_version: int
    last_step_id: int = 0
    answers: dict = field(default_factory=dict)
    note: str = ""
    photos: list = field(default_factory=list)


class Conflict(Exception):
    """The application moved since it was taken offline: what changed, for the verifier."""

    def __init__(self, message: str, application: Application, changes: list[dict]):
        super().__init__(message)
        self.message, self.application, self.changes = message, application, changes


def submit(*, user, submission: Submission) -> tuple[VerificationStep, bool]:
    """Make the step a device entered offline, once. Returns ``(step, created)``: a resend of a
    submission already taken returns its step with ``created=False``.

    All criteria met → cek lapangan done (``field_checked``); any not met → returned for
    correction naming them (the note says why). Raises ``Conflict`` when the application
    moved meanwhile, ``ValidationError``/``PermissionDenied`` as the online form would.
    """
    if len(submission.photos) > PHOTOS_MAX:
        raise ValidationError({"evidence": _("Paling banyak %(n)s foto per cek lapangan.") % {"n": PHOTOS_MAX}})
    try:
        with transaction.atomic():
            # The application's row lock orders two resends of one submission: the second one
            # waits here, then finds the step the first one made.
            application = (selectors.applications_visible_to(user).select_for_update(of=("self",))
                           .get(pk=submission.application_id))
            done = VerificationStep.objects.filter(submission_id=submission.submission_id).first()
            if done is not None:
                if done.application_id != application.pk:
                    raise ValidationError(_("Kiriman ini sudah tercatat untuk usulan lain."))
                return done, False
            met = all(a.get("met") for a in submission.answers.values())
            to_state = State.FIELD_CHECKED if met else State.RETURNED
            step = services.application_advance(
                application=application, to_state=to_state, actor=user,
                expected_state=submission.expected_state, expected_version=submission.expected_version,
                note=submission.note, answers=submission.answers, evidence=submission.photos, images_only=True,
                submission_id=submission.submission_id,
            )
            return step, True
    except services.StaleStep as exc:
        application = Application.objects.get(pk=submission.application_id)
        since = (application.steps.filter(pk__gt=submission.last_step_id).select_related("actor")
                 .order_by("created_at", "id"))
        raise Conflict(" ".join(exc.messages), application, [_step_row(s) for s in since]) from None
    except IntegrityError:
        # The same id committed by a concurrent request between our check and our insert.
        step = VerificationStep.objects.filter(submission_id=submission.submission_id).first()
        if step is None:
            raise
        return step, False
    except Application.DoesNotExist:
        raise PermissionDenied(_("Usulan ini di luar wilayah tugas Anda.")) from None
