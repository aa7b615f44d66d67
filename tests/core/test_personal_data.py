"""Issue 29's holes, each reproduced on the demo data first: the KPM probe by NIK, the full NIK in
the correction form, the account takeover, the cross-OPD duplicate decision, the parallel
invitations, the 500s. Each test failed on the code before its fix."""

import csv
import datetime as dt
import io
import json
import threading

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.demo import load_users
from accounts.models import User
from programs.demo import load_budgets
from programs.models import BudgetCeiling, Program
from recipients import services
from recipients.demo import load_recipients
from recipients.models import Application, DuplicateFlag, Member, RecipientGroup
from tests.factories import region

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(regions):
    load_budgets()
    load_users()
    load_recipients()
    return {u.username: u for u in User.objects.all()}


def _as(client, user):
    client.force_login(user)
    return client


def _niks(group: RecipientGroup) -> set[str]:
    return {group.leader_nik, *group.members.values_list("nik", flat=True)} - {""}


def test_an_ikm_office_cannot_learn_who_receives_social_aid_by_nik(client, demo):
    """serang registers a group under a KPM family's NIK and proposes it: the duplicate pages say
    a province must look, and nothing of the family or its Dinsos program."""
    family = RecipientGroup.objects.get(name="KPM Warung Sembako Ciruas")
    serang = demo["serang"]
    probe = services.group_create(actor=serang, data=services.GroupData(
        name="Kelompok Uji Probe", regency_id=region("36.04").pk, sector="masks", leader_name="Uji",
        leader_nik=family.leader_nik))
    equipment = Program.objects.get(name="Bantuan peralatan produksi bagi IKM terdampak Covid-19")  # 2021, as UEP
    mine = services.application_propose(group=probe, program=equipment, actor=serang)
    assert DuplicateFlag.objects.filter(application=mine).exists()  # the province is still asked
    c = _as(client, serang)
    for url in (reverse("recipients:duplicate-list"), reverse("recipients:application-detail", args=[mine.pk])):
        body = c.get(url).content.decode()
        assert "perlu ditinjau provinsi" in body.lower()  # positive control: the flag is shown
        for secret in ("Warung Sembako", "Usaha Ekonomi Produktif", "Jamsosratu", "NIK ketua sama"):
            assert secret not in body, (url, secret)
    # The Dinsos officer of the province sees the pair in full.
    body = _as(Client(), demo["dinsos"]).get(reverse("recipients:duplicate-list")).content.decode()
    assert "Warung Sembako" in body and "Kelompok Uji Probe" in body


@pytest.mark.parametrize(("login", "group_name"), [
    ("banten", "Kelompok Masker Kain Ciruas"), ("dinsos", "KPM Warung Sembako Ciruas"),
    ("kalsel", "IKM Logam Pandai Besi Negara")])
def test_the_correction_form_never_carries_a_nik_its_reader_may_not_see(client, demo, login, group_name):
    group = RecipientGroup.objects.get(name=group_name)
    c = _as(client, demo[login])
    url = reverse("recipients:group-edit", args=[group.pk])
    page = c.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert group.leader_name in body  # positive control: the form is there
    for nik in _niks(group):
        assert nik not in body, nik
        assert f"{nik[:4]}••••••••{nik[-4:]}" in body  # masked as on the group page
    # Saved as shown (masked): every NIK stays what it was, and a new name is kept.
    before = sorted(group.members.values_list("nik", "name", "role"))
    form = _form_values(body)
    form["desa"] = "Desa Baru"
    response = c.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    group.refresh_from_db()
    assert group.desa == "Desa Baru" and group.leader_nik in _niks(group)
    assert sorted(group.members.values_list("nik", "name", "role")) == before


def _form_values(body: str) -> dict:
    """The named inputs and textareas of the page's form, as a browser would send them."""
    import html
    import re

    values = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', body):
        values[name] = html.unescape(value)
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S):
        values[name] = html.unescape(value).strip("\n")
    for name, value in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>.*?<option value="([^"]*)"[^>]*selected',
                                  body, re.S):
        values[name] = value
    return values


def test_a_coordinator_cannot_take_over_an_officers_account(client, demo):
    banten = demo["banten"]
    c = _as(client, demo["bpkad"])
    url = reverse("accounts:user-detail", args=[banten.pk])
    page = c.get(url).content.decode()
    assert "banten@ikmrelief.example" in page  # positive control: the page shows the address
    c.post(url, {"username": "banten", "first_name": "Rina", "last_name": "X", "email": "pencuri@example.com",
                 "role": "province", "agency": banten.agency_id})
    banten.refresh_from_db()
    assert banten.email == "banten@ikmrelief.example"


def test_the_national_admin_cannot_set_a_coordinators_password_or_address_in_the_admin(client, demo):
    bpkad = demo["bpkad"]
    c = _as(client, demo["admin"])
    assert c.get(f"/admin/accounts/user/{bpkad.pk}/password/").status_code == 403
    r = c.post(f"/admin/accounts/user/{bpkad.pk}/password/",
               {"password1": "Sandi-Pengambil-Alih-99", "password2": "Sandi-Pengambil-Alih-99"})
    assert r.status_code == 403
    page = c.get(reverse("admin:accounts_user_change", args=[bpkad.pk])).content.decode()
    assert 'name="email"' not in page and "bpkad@ikmrelief.example" in page
    bpkad.refresh_from_db()
    assert not bpkad.check_password("Sandi-Pengambil-Alih-99")


def test_one_opd_decides_only_its_own_side_of_a_duplicate_pair(demo):
    equipment = Program.objects.get(name="Bantuan peralatan produksi bagi IKM terdampak Covid-19")
    uep = Program.objects.get(name__startswith="Usaha Ekonomi Produktif")
    family = RecipientGroup.objects.get(name="KPM Warung Sembako Ciruas")
    ikm = services.group_create(actor=demo["serang"], data=services.GroupData(
        name="Kelompok Kembar", regency_id=region("36.04").pk, sector="masks", leader_name="Uji",
        leader_nik=family.leader_nik))
    theirs = services.application_propose(group=ikm, program=equipment, actor=demo["serang"])
    ours = Application.objects.get(group=family, program=uep)
    flag = DuplicateFlag.objects.get(application=ours, other=theirs)
    services.duplicate_resolve(flag=flag, actor=demo["dinsos"], resolution="Keduanya berbeda usaha")
    assert DuplicateFlag.objects.get(application=ours, other=theirs).resolved_by == demo["dinsos"]
    paired = DuplicateFlag.objects.get(application=theirs, other=ours)
    assert paired.resolved_at is None and paired.resolved_by is None
    assert Application.objects.get(pk=theirs.pk).has_duplicate


def test_twenty_parallel_invitations_with_one_address_make_one_account(transactional_db, regions):
    load_budgets()
    load_users()
    bpkad = User.objects.get(username="bpkad")
    agency = User.objects.get(username="banten").agency
    barrier = threading.Barrier(20)
    outcomes = []

    def invite(n):
        try:
            barrier.wait()
            account_services.user_invite(actor=bpkad, user=User(
                username=f"kembar{n}", email="Kembar@Banten.go.id" if n % 2 else "kembar@banten.go.id",
                role=User.Role.PROVINCIAL_OFFICER, province=bpkad.province, agency=agency, is_active=True))
            outcomes.append("made")
        except Exception as exc:  # every refusal is counted below
            outcomes.append(type(exc).__name__)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=invite, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("made") == 1, outcomes
    assert set(outcomes) == {"made", "ValidationError"}
    assert User.objects.filter(email__iexact="kembar@banten.go.id").count() == 1


def test_a_ceilings_trail_and_its_api_answer(client, demo):
    ceiling = BudgetCeiling.objects.filter(province__code="36").first()
    for url in (f"/jejak/pagu/?pagu={ceiling.pk}", f"/api/v1/jejak/pagu/?pagu={ceiling.pk}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert str(ceiling.fiscal_year) in response.content.decode()


def test_deeply_nested_answers_are_refused_with_a_message(client, demo):
    c = _as(client, demo["serang"])
    nested = "[" * 100_000 + "]" * 100_000
    response = c.post(reverse("recipients:field-submit"), {
        "submission_id": "8d1f3c9e-7c57-4a37-9d1a-4f0f1a2b3c4d", "expected_state": "doc_checked",
        "application": "1", "expected_version": "1", "answers": json.dumps({"a": {"met": True}})[:-1] + ', "b": '
        + nested + "}"})
    assert response.status_code == 400
    assert response.json()["status"] == "invalid" and "terbaca" in response.json()["message"]


def test_staff_pages_answer_503_with_retry_after_while_the_database_is_unreachable(client, demo, settings):
    c = Client(raise_request_exception=False)
    c.force_login(demo["banten"])
    assert c.get(reverse("programs:realization-list")).status_code == 200
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: every connect is refused
    try:
        response = c.get(reverse("programs:realization-list"))
    finally:
        connection.settings_dict["PORT"] = real_port
        connection.close()
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "coba lagi" in response.content.decode()


def test_member_nik_never_reaches_another_kind_through_the_form_post(client, demo):
    """A forged POST cannot read either: the form for another office's kind is a 404."""
    family = RecipientGroup.objects.get(name="KPM Warung Sembako Ciruas")
    c = _as(client, demo["serang"])
    assert c.get(reverse("recipients:group-edit", args=[family.pk])).status_code == 404
    assert Member.objects.filter(group=family).exists()


# --- Every view of a full NIK on record, read by the province's data-protection officer -----------


def test_viewing_and_exporting_full_niks_is_logged_and_the_dpo_lists_those_persons(client, demo):
    from recipients.models import PersonalDataView

    serang = demo["serang"]
    group = RecipientGroup.objects.get(name="Kelompok Masker Kain Ciruas")
    c = _as(client, serang)
    assert group.leader_nik in c.get(reverse("recipients:group-detail", args=[group.pk])).content.decode()
    export = c.get(reverse("recipients:group-export", args=["csv"]))
    assert group.leader_nik in b"".join(export.streaming_content).decode()
    rows = list(PersonalDataView.objects.filter(viewer=serang).order_by("id"))
    assert [(r.where, r.members) for r in rows] == [(PersonalDataView.Where.GROUP_PAGE, True),
                                                   (PersonalDataView.Where.EXPORT, False)]
    assert rows[0].group_ids == [group.pk]
    assert set(rows[1].group_ids) == set(RecipientGroup.objects.filter(regency__code="36.04", kind="ikm")
                                         .exclude(leader_nik="").values_list("pk", flat=True))
    # Masked views are not logged: the province sees masked NIKs only.
    _as(Client(), demo["banten"]).get(reverse("recipients:group-detail", args=[group.pk]))
    assert not PersonalDataView.objects.filter(viewer=demo["banten"]).exists()

    dpo = _as(Client(), demo["dpo-banten"])
    today = timezone.localdate()
    page = dpo.get(reverse("recipients:access-log"), {"account": serang.pk, "start": today - dt.timedelta(days=30),
                                                       "end": today}).content.decode()
    member = group.members.exclude(nik=group.leader_nik).first()
    assert group.leader_name in page and member.name in page  # a member, seen on the group page
    assert group.leader_nik not in page and f"{group.leader_nik[:4]}••••••••" in page
    other = RecipientGroup.objects.filter(regency__code="36.04", kind="ikm").exclude(pk=group.pk).first()
    assert other.leader_name in page  # a leader, seen in the export
    assert "Halaman kelompok" in page and "Unduhan daftar kelompok" in page
    assert page.count(f">{group.leader_name} <small>") == 1  # a leader who is also a member, once
    # A month earlier: nothing seen then.
    earlier = dpo.get(reverse("recipients:access-log"), {"account": serang.pk, "start": today - dt.timedelta(days=90),
                                                          "end": today - dt.timedelta(days=31)}).content.decode()
    assert group.leader_name not in earlier and "tidak melihat NIK lengkap" in earlier


def test_the_dpo_lists_everyone_an_accounts_scope_could_see(client, demo):
    dpo = _as(client, demo["dpo-banten"])
    url = reverse("recipients:could-see")
    rows = list(csv.reader(io.StringIO(b"".join(dpo.get(url, {"account": demo["serang"].pk}).streaming_content)
                                       .decode().lstrip("\ufeff"))))
    assert rows[0] == ["nama", "peran", "kelompok", "kabupaten_kota", "nik_lengkap_terlihat"]
    serang_people = {m.name for m in Member.objects.filter(group__regency__code="36.04", group__kind="ikm")}
    assert serang_people <= {r[0] for r in rows[1:]} and {r[4] for r in rows[1:]} == {"ya"}
    assert "Maryati" not in {r[0] for r in rows}  # a KPM family: not in serang's scope
    banten = list(csv.reader(io.StringIO(b"".join(dpo.get(url, {"account": demo["banten"].pk}).streaming_content)
                                         .decode().lstrip("\ufeff"))))
    assert "Maryati" in {r[0] for r in banten} and {r[4] for r in banten[1:]} == {"tidak"}
    assert dpo.get(url, {"account": demo["kalsel"].pk}).status_code == 404  # another province's account


def test_the_access_log_is_append_only_and_the_dpo_page_is_theirs_alone(client, demo):
    from django.db import InternalError, transaction

    from recipients.models import PersonalDataView

    row = PersonalDataView.objects.create(viewer=demo["serang"], where="group_page", group_ids=[1])
    with pytest.raises(InternalError), transaction.atomic():
        PersonalDataView.objects.filter(pk=row.pk).delete()
    assert PersonalDataView.objects.filter(pk=row.pk).exists()
    for login, status in (("serang", 403), ("banten", 403), ("bpkad", 403), ("admin", 200), ("dpo-banten", 200)):
        assert _as(Client(), demo[login]).get(reverse("recipients:access-log")).status_code == status, login
    # A province's officer reads its own province's accounts only.
    page = _as(Client(), demo["dpo-banten"]).get(reverse("recipients:access-log"), {
        "account": demo["kalsel"].pk, "start": "2020-01-01", "end": "2030-01-01"})
    body = page.content.decode()
    assert page.status_code == 200 and "has-error" in body and "Yang dilihat" not in body
