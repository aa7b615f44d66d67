"""The offline field check, server side: what a device takes offline (NIK masked, only the queue's
applications waiting for the field check, a fixed number of queries) and how a check sent back is
taken: once per submission id, through the same service and version check as the online form, a
conflict answered with what changed, and nothing written when it is refused."""

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from recipients import services
from recipients.models import Evidence, State, VerificationStep
from tests.factories import real_image, real_pdf
from tests.recipients.test_correction_loop import CRITERIA, NIK_SERANG

pytestmark = pytest.mark.django_db

PACKAGE = reverse("recipients:field-package")
SUBMIT = reverse("recipients:field-submit")
JPEG = real_image("JPEG")


@pytest.fixture
def program(disperindag_banten):
    from tests.factories import ProgramFactory

    return ProgramFactory(agency=disperindag_banten, fiscal_year=2020, criteria=CRITERIA)


def _at_field_check(name, program, staff):
    from tests.factories import region

    group = services.group_create(actor=staff, data=services.GroupData(
        name=name, regency_id=region("36.04").pk, sector="masks", leader_name="Siti", leader_nik="",
        members=[services.MemberData("Siti", NIK_SERANG, "leader")]))
    application = services.application_propose(group=group, program=program, actor=staff)
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=staff)
    application.refresh_from_db()
    return application


@pytest.fixture
def apps(program, serang_staff):
    return [_at_field_check(f"Kelompok Masker {n}", program, serang_staff) for n in ("Ciruas", "Kramatwatu", "Anyer")]


def _form(application, *, met=True, note="", submission_id=None, photos=1, **changes):
    data = {
        "submission_id": str(submission_id or uuid.uuid4()), "application": str(application.pk),
        "expected_state": application.state, "expected_version": str(application.version),
        "last_step_id": str(application.steps.order_by("-id").first().pk), "note": note,
        "answers": json.dumps({c: {"met": met, "note": "dilihat di bengkel"} for c in CRITERIA}),
        "photo": [SimpleUploadedFile(f"foto-{i}.jpg", JPEG, content_type="image/jpeg") for i in range(photos)],
    }
    data.update(changes)
    return data


def test_package_holds_what_the_check_needs_with_nik_masked(client, apps, serang_staff):
    client.force_login(serang_staff)
    with CaptureQueriesContext(connection) as one:
        one_app = client.get(PACKAGE, {"id": apps[0].pk}).json()["applications"]
    with CaptureQueriesContext(connection) as three:
        rows = client.get(PACKAGE, {"id": [a.pk for a in apps]}).json()["applications"]
    assert len(three) == len(one)  # a fixed number of queries, whatever the number taken
    assert len(one_app) == 1 and {r["id"] for r in rows} == {a.pk for a in apps}
    row = rows[0]
    assert row["criteria"] == CRITERIA and row["state"] == State.DOC_CHECKED
    assert [s["to_state"] for s in row["steps"]] == [State.PROPOSED, State.DOC_CHECKED]
    member = row["group"]["members"][0]
    assert member["name"] == "Siti" and member["nik"] != NIK_SERANG and member["nik"].endswith(NIK_SERANG[-4:])
    assert NIK_SERANG not in json.dumps(rows)
    # Nothing given: every application waiting for my field check.
    assert len(client.get(PACKAGE).json()["applications"]) == 3


def test_package_only_for_the_groups_own_district_and_only_at_the_field_check(
        client, apps, serang_staff, lebak_staff, banten_officer):
    client.force_login(lebak_staff)
    assert client.get(PACKAGE, {"id": apps[0].pk}).json()["applications"] == []
    client.force_login(banten_officer)
    assert client.get(PACKAGE).status_code == 403
    client.logout()
    assert client.get(PACKAGE).status_code == 401
    services.application_advance(application=apps[0], to_state=State.FIELD_CHECKED, actor=serang_staff,
                                 answers={c: {"met": True} for c in CRITERIA})
    client.force_login(serang_staff)
    assert {r["id"] for r in client.get(PACKAGE).json()["applications"]} == {apps[1].pk, apps[2].pk}


def test_a_check_sent_twice_makes_one_step_with_its_photos(client, apps, serang_staff):
    client.force_login(serang_staff)
    submission_id = uuid.uuid4()
    first = client.post(SUBMIT, _form(apps[0], submission_id=submission_id, photos=2))
    assert first.status_code == 201, first.content
    again = client.post(SUBMIT, _form(apps[0], submission_id=submission_id, photos=2))
    assert again.status_code == 200 and again.json()["resent"] is True
    assert again.json()["step"] == first.json()["step"]
    step = VerificationStep.objects.get(submission_id=submission_id)
    assert step.to_state == State.FIELD_CHECKED and step.actor == serang_staff
    assert set(step.answers) == set(CRITERIA) and step.evidence.count() == 2
    apps[0].refresh_from_db()
    assert apps[0].state == State.FIELD_CHECKED


def test_a_failed_criterion_returns_the_application_and_needs_a_reason(client, apps, serang_staff):
    client.force_login(serang_staff)
    refused = client.post(SUBMIT, _form(apps[1], met=False))
    assert refused.status_code == 422 and "note" in refused.json()["errors"]
    assert apps[1].steps.count() == 2 and Evidence.objects.count() == 0  # nothing half-written
    taken = client.post(SUBMIT, _form(apps[1], met=False, note="Belum memproduksi masker"))
    assert taken.status_code == 201
    apps[1].refresh_from_db()
    assert apps[1].state == State.RETURNED
    assert services.resubmit_target(apps[1]) == State.DOC_CHECKED  # the re-check asks only what failed


def test_an_application_moved_meanwhile_is_a_conflict_that_says_what_changed(
        client, apps, serang_staff, banten_officer):
    stale = _form(apps[2])
    services.application_advance(application=apps[2], to_state=State.RETURNED, actor=banten_officer,
                                 note="Dokumen NIB belum ada", missing_documents=["NIB"])
    client.force_login(serang_staff)
    conflict = client.post(SUBMIT, stale)
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["state"] == State.RETURNED
    assert [(c["to_state"], c["note"]) for c in body["changes"]] == [(State.RETURNED, "Dokumen NIB belum ada")]
    assert apps[2].steps.count() == 3 and Evidence.objects.count() == 0


@pytest.mark.parametrize("changes, status", [
    ({"submission_id": "bukan-uuid"}, 400),
    ({"expected_state": "terbang"}, 400),
    ({"expected_version": "٣"}, 400),
    ({"answers": "{not json"}, 400),
    ({"answers": "[1, 2]"}, 400),
    ({"photo": [SimpleUploadedFile("foto.jpg", b"MZ\x90\x00 not a photo", content_type="image/jpeg")]}, 422),
    # A real PDF is evidence on the online form, but never a photo of the field check.
    ({"photo": [SimpleUploadedFile("foto.pdf", real_pdf(), content_type="application/pdf")]}, 422),
])
def test_bad_input_is_a_clear_refusal_and_writes_nothing(client, apps, serang_staff, changes, status):
    client.force_login(serang_staff)
    response = client.post(SUBMIT, _form(apps[0], **changes))
    assert response.status_code == status and response.json()["message"]
    assert apps[0].steps.count() == 2


def test_another_district_cannot_send_a_check(client, apps, lebak_staff):
    client.force_login(lebak_staff)
    response = client.post(SUBMIT, _form(apps[0]))
    assert response.status_code == 403
    assert apps[0].steps.count() == 2
