"""The correction loop: a return names what failed; the district corrects the group (every edit in
the history, old → new); resubmitting goes back to the step that failed and re-checks only that,
keeping what passed with who checked it and when. After approval only the program's OPD may edit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from recipients import policy, services
from recipients.models import Member, RecipientGroup, State
from tests.factories import ProgramFactory, region
from tests.recipients.test_recipients import NIK_SERANG, NIK_SERANG_2

pytestmark = pytest.mark.django_db

CRITERIA = ["Sangat terdampak Covid-19", "Memproduksi masker kain"]
NIK_NEW = "3604014404920003"


@pytest.fixture
def program(disperindag_banten):
    return ProgramFactory(agency=disperindag_banten, fiscal_year=2020, criteria=CRITERIA)


@pytest.fixture
def group(serang_staff):
    return services.group_create(actor=serang_staff, data=services.GroupData(
        name="Kelompok Masker Kain Ciruas", regency_id=region("36.04").pk, sector="masks", leader_name="Siti",
        leader_nik=NIK_SERANG,
        members=[services.MemberData("Siti", NIK_SERANG, "leader"), services.MemberData("Dedi", NIK_SERANG_2)],
    ))


@pytest.fixture
def at_field_check(group, program, serang_staff):
    application = services.application_propose(group=group, program=program, actor=serang_staff)
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang_staff)
    return application


def _data(group, **changes):
    members = [services.MemberData(m.name, m.nik, m.role) for m in group.members.all()]
    values = {"name": group.name, "regency_id": group.regency_id, "sector": group.sector,
              "leader_name": group.leader_name, "leader_nik": group.leader_nik, "members": members, **changes}
    return services.GroupData(**values)


def test_a_return_must_name_what_failed(at_field_check, serang_staff):
    with pytest.raises(ValidationError) as refused:
        services.application_advance(application=at_field_check, to_state=State.RETURNED, actor=serang_staff,
                                     note="Belum lengkap")
    assert "missing_documents" in refused.value.message_dict
    assert at_field_check.steps.count() == 2  # nothing written


def test_field_check_failure_is_rechecked_alone_keeping_what_passed(at_field_check, serang_staff):
    services.application_advance(
        application=at_field_check, to_state=State.RETURNED, actor=serang_staff, note="Belum produksi masker",
        answers={CRITERIA[0]: {"met": True, "note": "omzet turun 60%"}, CRITERIA[1]: {"met": False, "note": "tas"}})
    assert services.resubmit_target(at_field_check) == State.DOC_CHECKED

    # Back to the document check is not where it failed: refused.
    with pytest.raises(ValidationError):
        services.application_advance(application=at_field_check, to_state=State.PROPOSED, actor=serang_staff)
    services.application_advance(application=at_field_check, to_state=State.DOC_CHECKED, actor=serang_staff,
                                 note="Sudah produksi masker")

    carried = services.carried_answers(at_field_check)
    assert list(carried) == [CRITERIA[0]]
    assert carried[CRITERIA[0]]["by"] == serang_staff.get_full_name() and carried[CRITERIA[0]]["at"]
    # Only the criterion that failed is asked again.
    step = services.application_advance(application=at_field_check, to_state=State.FIELD_CHECKED, actor=serang_staff,
                                        answers={CRITERIA[1]: {"met": True, "note": "200 masker/hari"}})
    assert step.answers[CRITERIA[0]] == carried[CRITERIA[0]]           # kept, with who and when
    assert step.answers[CRITERIA[1]]["note"] == "200 masker/hari"
    at_field_check.refresh_from_db()
    assert at_field_check.state == State.FIELD_CHECKED


def test_a_return_for_documents_goes_back_to_the_document_check(at_field_check, serang_staff, banten_officer):
    services.application_advance(application=at_field_check, to_state=State.FIELD_CHECKED, actor=serang_staff,
                                 answers={c: {"met": True} for c in CRITERIA})
    services.application_advance(application=at_field_check, to_state=State.RETURNED, actor=banten_officer,
                                 note="NIB tidak terbaca", missing_documents=["Fotokopi NIB"])
    assert services.resubmit_target(at_field_check) == State.PROPOSED
    services.application_advance(application=at_field_check, to_state=State.PROPOSED, actor=serang_staff)
    services.application_advance(application=at_field_check, to_state=State.DOC_CHECKED, actor=serang_staff)
    # The field check had passed everything: nothing is asked again.
    assert set(services.carried_answers(at_field_check)) == set(CRITERIA)
    services.application_advance(application=at_field_check, to_state=State.FIELD_CHECKED, actor=serang_staff)


def test_district_corrects_group_and_members_with_history(client, group, at_field_check, serang_staff):
    services.application_advance(application=at_field_check, to_state=State.RETURNED, actor=serang_staff,
                                 note="Nama ketua salah ketik", missing_documents=["KTP ketua"])
    client.force_login(serang_staff)
    page = client.get(reverse("recipients:group-edit", args=[group.pk])).content.decode()
    assert f"Dedi; {NIK_SERANG_2}; anggota" in page
    response = client.post(reverse("recipients:group-edit", args=[group.pk]), {
        "name": group.name, "sector": "masks", "leader_name": "Siti Aminah", "leader_nik": NIK_SERANG,
        "kecamatan": "Ciruas", "desa": "", "contact_phone": "", "nib": "", "version": group.version,
        "members_text": f"Siti Aminah; {NIK_SERANG}; ketua\nRina; {NIK_NEW}; anggota",
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("recipients:application-detail", args=[at_field_check.pk])
    group.refresh_from_db()
    assert group.leader_name == "Siti Aminah" and group.members_count == 2
    assert set(group.members.values_list("nik", flat=True)) == {NIK_SERANG, NIK_NEW}

    history = client.get(reverse("recipients:group-detail", args=[group.pk])).content.decode()
    assert "Siti → Siti Aminah" in history                      # group field, old → new
    assert "menghapus anggota" in history and "Dedi (Anggota)</li>" in history   # member removed
    assert "menambah anggota" in history and "Rina (Anggota)</li>" in history    # member added
    assert "→ dihapus" not in history and "– → Rina" not in history
    assert serang_staff.get_full_name() in history


def test_stale_group_form_keeps_the_input(client, group, serang_staff):
    client.force_login(serang_staff)
    opened = group.version
    services.group_update(group=group, data=_data(group, kecamatan="Ciruas"), actor=serang_staff)
    response = client.post(reverse("recipients:group-edit", args=[group.pk]), {
        "name": group.name, "sector": "masks", "leader_name": "Siti Baru", "leader_nik": NIK_SERANG,
        "version": opened, "members_text": f"Siti; {NIK_SERANG}; ketua",
    })
    body = response.content.decode()
    assert response.status_code == 200 and "sudah diubah orang lain" in body and "Siti Baru" in body
    assert RecipientGroup.objects.get(pk=group.pk).leader_name == "Siti"


def test_after_approval_only_the_programs_opd_edits(group, at_field_check, serang_staff, banten_officer,
                                                    dinsos_officer, lebak_staff):
    services.application_advance(application=at_field_check, to_state=State.FIELD_CHECKED, actor=serang_staff,
                                 answers={c: {"met": True} for c in CRITERIA})
    assert policy.may_edit_group(serang_staff, group)
    services.application_advance(application=at_field_check, to_state=State.APPROVED, actor=banten_officer,
                                 sk_number="SK-36/001/2020")
    for outsider in (serang_staff, dinsos_officer, lebak_staff):
        assert not policy.may_edit_group(outsider, group)
        with pytest.raises(PermissionDenied):
            services.group_update(group=group, data=_data(group, leader_name="X"), actor=outsider)
    services.group_update(group=group, data=_data(group, leader_name="Siti Aminah"), actor=banten_officer)
    assert Member.objects.filter(group=group).count() == 2


def test_an_opd_acts_only_on_its_own_programs(at_field_check, serang_staff, dinsos_officer, serang_dinsos):
    """Dinsos approves nothing of Disperindag's, and the Dinsos district office checks no IKM group."""
    services.application_advance(application=at_field_check, to_state=State.FIELD_CHECKED, actor=serang_staff,
                                 answers={c: {"met": True} for c in CRITERIA})
    with pytest.raises(PermissionDenied):
        services.application_advance(application=at_field_check, to_state=State.APPROVED, actor=dinsos_officer,
                                     sk_number="SK-DINSOS/1")
    with pytest.raises(PermissionDenied):
        services.application_advance(application=at_field_check, to_state=State.RETURNED, actor=serang_dinsos,
                                     note="x", missing_documents=["y"])
    at_field_check.refresh_from_db()
    assert at_field_check.state == State.FIELD_CHECKED and at_field_check.sk_number == ""


def test_the_bulk_return_names_documents_and_its_help_is_read(client, group, program, serang_staff):
    import re

    application = services.application_propose(group=group, program=program, actor=serang_staff)
    client.force_login(serang_staff)
    body = client.get(reverse("recipients:queue")).content.decode()
    for target in re.findall(r'aria-describedby="([^"]+)"', body):
        assert f'id="{target}"' in body
    client.post(reverse("recipients:queue-bulk"), {"selected": [application.pk], "to_state": State.RETURNED,
                                                   "note": "Berkas belum lengkap"})
    application.refresh_from_db()
    assert application.state == State.PROPOSED  # no document named: refused, with the reason shown
    client.post(reverse("recipients:queue-bulk"), {"selected": [application.pk], "to_state": State.RETURNED,
                                                   "note": "Berkas belum lengkap",
                                                   "missing_documents": "Fotokopi NIB, foto tempat usaha"})
    application.refresh_from_db()
    assert application.state == State.RETURNED
    assert services.latest_return(application).missing_documents == ["Fotokopi NIB", "foto tempat usaha"]
