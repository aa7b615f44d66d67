"""Retention (issue 29): person data of groups whose programs all closed more than RETENTION_YEARS
ago is erased after a recorded dry run, and nothing the public sees changes by a byte."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import InternalError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.cache import forget_process_copies
from recipients import retention, services
from recipients.models import Evidence, Member, PersonalDataView, RecipientGroup, RetentionRun, State
from tests.factories import real_image
from tests.reports.test_public import public_urls

pytestmark = pytest.mark.django_db


def _public_bytes(urls) -> dict[str, bytes]:
    cache.clear()
    forget_process_copies()
    client = Client()
    out = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        out[url] = b"".join(response.streaming_content) if response.streaming else response.content
    return out


def test_a_zero_year_retention_erases_person_data_and_leaves_every_public_byte(demo, settings):
    settings.RETENTION_YEARS = 0
    # A photo on one application: evidence with a person's face goes too.
    application = (RecipientGroup.objects.get(name="Kelompok Perajin Tas Pontang").applications.get())
    serang = User.objects.get(username="serang")
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=serang,
                                 evidence=[SimpleUploadedFile("foto.jpg", real_image("JPEG"))])
    urls = public_urls()
    before = _public_bytes(urls)
    niks = set(Member.objects.values_list("nik", flat=True))
    assert niks

    plan = retention.dry_run()
    assert plan.dry_run and plan.before_year == timezone.localdate().year
    assert len(plan.group_ids) == RecipientGroup.objects.filter(applications__isnull=False).distinct().count()
    assert plan.members == Member.objects.count() and plan.photos == 1
    assert Member.objects.count() == len(niks)  # a dry run erases nothing

    run = retention.apply(plan)
    assert run is not None and not run.dry_run and run.applies == plan and run.group_ids == plan.group_ids
    assert retention.apply(plan) is None  # a second beat, a double click: once
    erased = RecipientGroup.objects.filter(pk__in=run.group_ids)
    assert not erased.exclude(leader_nik="", leader_name="", contact_phone="").exists()
    assert not erased.filter(person_data_erased_at__isnull=True).exists()
    assert not Member.objects.filter(group__in=erased).exists()
    assert not Evidence.objects.filter(content_type__startswith="image/").exists()
    # The history tables held the same values: gone there too.
    assert not RecipientGroup.pgh_event_model.objects.filter(pgh_obj_id__in=run.group_ids).exclude(
        leader_nik="").exists()
    assert not Member.pgh_event_model.objects.filter(nik__in=niks).exists()
    # Every public page, download, trail and API answer is the same, byte for byte.
    after = _public_bytes(urls)
    assert [u for u in urls if before[u] != after[u]] == []
    # Staff pages say what happened.
    page = Client()
    page.force_login(serang)
    group = erased.filter(regency__code="36.04", kind="ikm").first()
    assert "dihapus" in page.get(reverse("recipients:group-detail", args=[group.pk])).content.decode()


def test_the_beat_makes_a_dry_run_first_and_erases_after_the_grace_period(demo, settings):
    settings.RETENTION_YEARS, settings.RETENTION_GRACE_DAYS = 0, 7
    first = retention.scheduled()
    assert first is not None and first.dry_run and first.group_ids
    assert retention.scheduled() is None  # the dry run waits out its grace period
    assert Member.objects.exists()
    later = timezone.now() + dt.timedelta(days=7, minutes=1)
    applied = retention.scheduled(now=later)
    assert applied is not None and not applied.dry_run and applied.applies == first
    assert not Member.objects.filter(group_id__in=applied.group_ids).exists()
    assert retention.scheduled(now=later) is None  # nothing more qualifies
    with pytest.raises(InternalError), transaction.atomic():
        RetentionRun.objects.filter(pk=applied.pk).delete()


def test_groups_of_an_open_program_keep_their_data(demo, settings):
    settings.RETENTION_YEARS = 10  # the demo's 2020 and 2021 programs closed less than ten years ago
    assert retention.dry_run().group_ids == []
    call_command("retention", years=0, verbosity=0)
    assert RetentionRun.objects.filter(dry_run=True).count() == 2
    call_command("retention", apply=True, verbosity=0)
    assert not Member.objects.exists()


def test_a_person_asks_for_their_data_by_nik(demo):
    member = Member.objects.filter(group__regency__code="36.04", group__kind="ikm").first()
    dpo = Client()
    dpo.force_login(User.objects.get(username="dpo-banten"))
    page = dpo.get(reverse("recipients:data-request"), {"nik": member.nik})
    body = page.content.decode()
    assert page.status_code == 200 and member.name in body and member.group.name in body
    for application in member.group.applications.all():
        assert application.program.name in body
    view = PersonalDataView.objects.get(where=PersonalDataView.Where.DATA_REQUEST)
    assert view.viewer.username == "dpo-banten" and view.group_ids == [member.group_id]
    # Unicode digits, letters or a short number: a clear message, no lookup.
    for bad in ("٣٦٠٤٠١٥٢٠٣٨٥٠٠٠١", "36040152038500x1", "3604"):
        refused = dpo.get(reverse("recipients:data-request"), {"nik": bad})
        assert refused.status_code == 200 and "16 angka" in refused.content.decode()
    assert PersonalDataView.objects.filter(where=PersonalDataView.Where.DATA_REQUEST).count() == 1
    # Not the district office's page, nor the province's officers'.
    for login in ("serang", "banten", "bpkad"):
        other = Client()
        other.force_login(User.objects.get(username=login))
        assert other.get(reverse("recipients:data-request"), {"nik": member.nik}).status_code == 403
