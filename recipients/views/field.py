"""The offline field check: the page the phone keeps (``field_app``), the package of applications it
takes offline (``field_package``) and where it sends each check back (``field_submit``).

The two data views answer JSON only — also when the session has expired (401), so the device
keeps the check and asks the verifier to sign in again instead of reading a login page.
"""

from __future__ import annotations

import uuid
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from core import jsonsafe
from core.params import BadParameter, lenient, parse_id, parse_int
from recipients import evidence, fieldcheck, policy
from recipients.models import State


def _json_for_district_staff(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"status": "signed_out", "message": _("Sesi Anda berakhir. Masuk lagi, lalu kirim.")},
                                status=401)
        if not policy.registers_groups(request.user):
            return JsonResponse({"status": "forbidden", "message": _("Cek lapangan dilakukan petugas kabupaten/kota.")},
                                status=403)
        return view(request, *args, **kwargs)
    return wrapped


@login_required
@require_safe
@cache_control(private=True, no_cache=True)
def field_app(request):
    """The field-check page: drawn on the device from what it stored, so it works without a signal
    (the service worker keeps a copy). ``?selected=…`` from the queue takes those applications."""
    if not policy.registers_groups(request.user):
        raise PermissionDenied
    return render(request, "recipients/field_app.html", {
        "config": {
            "user": request.user.pk,
            "package_url": reverse("recipients:field-package"),
            "submit_url": reverse("recipients:field-submit"),
            "max_bytes": settings.EVIDENCE_MAX_BYTES,
            "photos_max": fieldcheck.PHOTOS_MAX,
            "types": list(evidence.IMAGES),
            # Times are shown in the site's zone, as every other page shows them.
            "time_zone": settings.TIME_ZONE,
            "zone_label": "WIB" if settings.TIME_ZONE == "Asia/Jakarta" else settings.TIME_ZONE,
            "language": request.LANGUAGE_CODE,
        },
    })


@_json_for_district_staff
@require_safe
@cache_control(private=True, no_store=True)
def field_package(request):
    """``?id=1&id=2`` (or nothing: every application waiting for my field check, up to the maximum)."""
    ids = [i for i in (lenient(parse_id, v) for v in request.GET.getlist("id")) if i]
    if not ids:
        ids = list(fieldcheck.offline_candidates(request.user).values_list("pk", flat=True)[:fieldcheck.PACKAGE_MAX])
    return JsonResponse({"applications": fieldcheck.package(request.user, ids)})


def _submission(request) -> fieldcheck.Submission:
    post = request.POST
    try:
        submission_id = uuid.UUID(post.get("submission_id", ""))
    except ValueError:
        raise BadParameter(_("Kiriman tanpa nomor kiriman yang sah.")) from None
    expected_state = post.get("expected_state", "")
    if expected_state not in State.values:
        raise BadParameter(_("Tahap usulan tidak dikenal."))
    try:
        answers = jsonsafe.loads(post.get("answers", "{}"))
    except ValueError:
        raise BadParameter(_("Jawaban kriteria tidak terbaca.")) from None
    if not isinstance(answers, dict) or not all(isinstance(a, dict) for a in answers.values()):
        raise BadParameter(_("Jawaban kriteria tidak terbaca."))
    answers = {str(c)[:300]: {"met": a.get("met") is True, "note": str(a.get("note") or "")[:300]}
               for c, a in answers.items()}
    return fieldcheck.Submission(
        submission_id=submission_id,
        application_id=parse_id(post.get("application", "")),
        expected_state=expected_state,
        expected_version=parse_int(post.get("expected_version", ""), minimum=1, label=_("Versi")),
        last_step_id=parse_int(post.get("last_step_id", "0") or "0", label=_("Langkah terakhir")),
        answers=answers,
        note=post.get("note", "")[:2000],
        photos=request.FILES.getlist("photo"),
    )


@_json_for_district_staff
@require_POST
def field_submit(request):
    """One check from the device. 201 made, 200 already made (a resend), 409 the application moved
    (with what changed), 422 refused as the online form would refuse it; nothing half-written."""
    try:
        submission = _submission(request)
    except BadParameter as exc:
        return JsonResponse({"status": "invalid", "message": str(exc), "errors": {}}, status=400)
    try:
        step, created = fieldcheck.submit(user=request.user, submission=submission)
    except fieldcheck.Conflict as exc:
        return JsonResponse({"status": "conflict", "message": exc.message, "state": exc.application.state,
                             "state_label": exc.application.get_state_display(), "changes": exc.changes}, status=409)
    except PermissionDenied as exc:
        return JsonResponse({"status": "forbidden", "message": str(exc) or _("Akses ditolak")}, status=403)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return JsonResponse({"status": "invalid", "message": " ".join(exc.messages), "errors": errors}, status=422)
    return JsonResponse({"status": "saved", "resent": not created, "step": step.pk,
                         "state_label": step.get_to_state_display()}, status=201 if created else 200)
