"""Whoever must act next is told: in the inbox (with an unread count in the navigation) and by
e-mail through a real SMTP server, sent by a real Celery worker after the commit."""

import pytest
from django.urls import reverse

from accounts.models import Notification, User
from accounts.notifications import send_digests
from recipients import services
from recipients.models import State
from tests.conftest import wait_for
from tests.factories import ProgramFactory, region

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(regions, disperindag_banten):
    officer = User.objects.create_user("rina", email="rina@banten.go.id", password="x-123456789",
                                       role=User.Role.PROVINCIAL_OFFICER, province=regions["36"],
                                       agency=disperindag_banten, first_name="Rina")
    district = User.objects.create_user("sari", email="sari@serangkab.go.id", password="x-123456789",
                                        role=User.Role.DISTRICT_STAFF, province=regions["36"],
                                        regency=regions["36.04"], district_office=User.Office.IKM,
                                        first_name="Sari")
    program = ProgramFactory(agency=disperindag_banten, fiscal_year=2020, criteria=["Sangat terdampak"])
    group = services.group_create(actor=district, data=services.GroupData(
        name="Kelompok Masker Ciruas", regency_id=region("36.04").pk, sector="masks", leader_name="Siti"))
    application = services.application_propose(group=group, program=program, actor=district)
    return officer, district, application


def test_a_return_and_a_field_check_each_tell_the_next_person_once(client, people, smtp_server,
                                                                   celery_worker_thread):
    officer, district, application = people
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=district)
    services.application_advance(application=application, to_state=State.FIELD_CHECKED, actor=district,
                                 answers={"Sangat terdampak": {"met": True}})
    ready = Notification.objects.get(user=officer)
    assert ready.kind == Notification.Kind.READY_FOR_APPROVAL and "Kelompok Masker Ciruas" in ready.text
    services.application_advance(application=application, to_state=State.RETURNED, actor=officer,
                                 note="Foto bengkel kurang jelas", missing_documents=["Foto bengkel"])
    returned = Notification.objects.get(user=district)
    assert returned.kind == Notification.Kind.RETURNED and "Foto bengkel kurang jelas" in returned.text
    wait_for(lambda: len(smtp_server.messages) >= 2, timeout=30)
    assert sorted(m["To"] for m in smtp_server.messages) == ["rina@banten.go.id", "sari@serangkab.go.id"]
    # The district sees one unread in the navigation; opening it marks it read and leads to the application.
    client.force_login(district)
    page = client.get(reverse("recipients:group-list")).content.decode()
    assert 'data-testid="inbox-link"' in page and ">1</span>" in page
    opened = client.get(reverse("accounts:notification-open", args=[returned.pk]))
    assert opened["Location"] == reverse("recipients:application-detail", args=[application.pk])
    returned.refresh_from_db()
    assert returned.read_at is not None
    assert ">1</span>" not in client.get(reverse("accounts:inbox")).content.decode()


def test_an_item_leaves_the_unread_list_once_what_it_points_at_has_moved(people):
    officer, district, application = people
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=district)
    services.application_advance(application=application, to_state=State.FIELD_CHECKED, actor=district,
                                 answers={"Sangat terdampak": {"met": True}})
    ready = Notification.objects.get(user=officer, kind=Notification.Kind.READY_FOR_APPROVAL)
    assert ready.read_at is None
    services.application_advance(application=application, to_state=State.APPROVED, actor=officer, sk_number="SK-1")
    ready.refresh_from_db()
    assert ready.read_at is not None


def test_mail_off_or_as_a_daily_digest(client, people, smtp_server, celery_worker_thread):
    officer, district, application = people
    client.force_login(district)
    client.post(reverse("accounts:email-preference"), {"notification_email": "none"})
    User.objects.filter(pk=officer.pk).update(notification_email=User.EmailChoice.DIGEST)
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=district)
    services.application_advance(application=application, to_state=State.FIELD_CHECKED, actor=district,
                                 answers={"Sangat terdampak": {"met": True}})
    ready = Notification.objects.get(user=officer)
    assert ready.emailed_at is None  # the officer chose the digest: no mail per event
    assert send_digests() == 1
    wait_for(lambda: smtp_server.messages, timeout=30)
    assert [m["To"] for m in smtp_server.messages] == ["rina@banten.go.id"]
    assert "Kelompok Masker Ciruas" in smtp_server.messages[0].get_payload(decode=True).decode()
    assert send_digests() == 0  # nothing new to digest
    services.application_advance(application=application, to_state=State.RETURNED, actor=officer, note="x",
                                 missing_documents=["Foto tempat usaha"])
    returned = Notification.objects.get(user=district)
    assert returned.emailed_at is None  # mail off: the inbox only
    assert Notification.objects.count() == 2


def test_duplicate_flag_and_failed_rollup_tell_the_province_and_the_requester(people, disperindag_banten):
    from reports import rollup

    officer, district, application = people
    other = ProgramFactory(agency=disperindag_banten, fiscal_year=2020)
    assert not Notification.objects.filter(kind=Notification.Kind.DUPLICATE).exists()
    # The same group proposed to a second program of the year: the province is asked to decide.
    services.application_propose(group=application.group, program=other, actor=district)
    assert Notification.objects.filter(user=officer, kind=Notification.Kind.DUPLICATE).count() == 1
    # Decided: the item leaves the unread list.
    from recipients.models import DuplicateFlag
    services.duplicate_resolve(flag=DuplicateFlag.objects.filter(application=application).get(), actor=officer,
                               resolution="Dua program berbeda, keduanya sah")
    assert not Notification.objects.filter(user=officer, kind=Notification.Kind.DUPLICATE, read_at__isnull=True)

    def boom(step):
        raise RuntimeError("disk full")

    run = rollup.RollupRun.objects.create(trigger="manual", requested_by=officer)
    with pytest.raises(RuntimeError):
        rollup.rollup_run(run=run, on_step=boom)
    assert Notification.objects.filter(user=officer, kind=Notification.Kind.ROLLUP_FAILED).count() == 1
