"""Red flags: each indicator finds a planted case and leaves its near-miss alone, on the demo
data; cases open, close and reopen with the data; the auditor's moves and the OPD's answer."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from accounts.models import Notification, User
from programs import services as budget_services
from programs.models import Allocation, Program, Realization
from recipients import services
from recipients.models import Application, PersonalDataView, RecipientGroup, Sector, State
from reports import cases, flags
from reports.models import Flag, FlagEvent
from tests.factories import AllocationFactory, CeilingFactory, ProgramFactory, real_pdf, region

pytestmark = pytest.mark.django_db

MASKS = "Bantuan teknis dan peralatan produksi masker ber-SNI bagi kelompok IKM"
UEP = "Usaha Ekonomi Produktif (UEP) bagi KPM lulusan Jamsosratu"


def nik(regency: str, serial: int, day: int = 12, month: int = 5, year: int = 80) -> str:
    return f"{regency.replace('.', '')}01{day:02d}{month:02d}{year:02d}{serial:04d}"


def group(name, code, niks, *, kind=RecipientGroup.Kind.IKM, phone="", nib=""):
    members = [services.MemberData(name=f"Anggota {i}", nik=n, role="leader" if i == 0 else "member")
               for i, n in enumerate(niks)]
    return services.group_create(data=services.GroupData(
        name=name, regency_id=region(code).pk, sector=Sector.MASKS, leader_name="Anggota 0", leader_nik=niks[0],
        kecamatan="Uji", contact_phone=phone, nib=nib, members=members, kind=kind), actor=None)


def approve(g, program, *, sk_date=None):
    application = services.application_propose(group=g, program=program, actor=None)
    yes = {c: {"met": True, "note": ""} for c in program.criteria}
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=None)
    services.application_advance(application=application, to_state=State.FIELD_CHECKED, actor=None, answers=yes)
    services.application_advance(application=application, to_state=State.APPROVED, actor=None,
                                 sk_number=f"SK-UJI/{g.pk}", sk_date=sk_date)
    return application


def deliver(application, *, on, amount, allocation=None):
    allocation = allocation or Allocation.objects.filter(program=application.program).first()
    return services.application_advance(
        application=application, to_state=State.DELIVERED, actor=None,
        handover=services.Handover(date=on, items="2 mesin jahit", amount=amount, allocation=allocation))


def found(code) -> list[Flag]:
    flags.compute(codes=[code])
    return list(Flag.objects.filter(indicator=code).order_by("pk"))


def groups_of(flag) -> set[str]:
    return set(RecipientGroup.objects.filter(pk__in=flag.evidence.get("groups", [])).values_list("name", flat=True))


@pytest.fixture
def masks(demo):
    return Program.objects.get(name=MASKS)


@pytest.fixture
def uep(demo):
    return Program.objects.get(name=UEP)


# --- Each indicator: a planted case and a near-miss ----------------------------------------------


def test_r01_same_nik_in_an_ikm_group_and_a_kpm_family_across_programs(masks, uep):
    """A Dinsos KPM family member of Kab. Serang is also in a Disperindag IKM group (flagged); a
    member of an aided IKM group is in another IKM group of the same program (near-miss)."""
    kpm = RecipientGroup.objects.get(name="KPM Warung Sembako Ciruas")  # aided by Dinsos' UEP in 2021
    shared = kpm.members.exclude(nik=kpm.leader_nik).first().nik
    ikm_2021 = ProgramFactory(agency=masks.agency, fiscal_year=2021, kind=Program.Kind.TECHNICAL, criteria=[])
    approve(group("Kelompok Jahit Uji Ciruas", "36.04", [nik("36.04", 9001), shared]), ikm_2021)
    same_program = RecipientGroup.objects.get(name="KUB Jahit Makmur Kramatwatu").members.first().nik
    approve(group("Kelompok Jahit Uji Lebak", "36.02", [nik("36.02", 9002), same_program]), masks)
    cases_ = found("R01")
    assert [groups_of(f) for f in cases_] == [{"KPM Warung Sembako Ciruas", "Kelompok Jahit Uji Ciruas"}]
    flag = cases_[0]
    assert flag.measure == {"what": "nik", "programs": 2, "agencies": 2, "kinds": 2}
    assert sorted(flag.agencies) == sorted([masks.agency_id, uep.agency_id]) and flag.fiscal_year == 2021
    assert shared not in str(flag.evidence) and shared not in flag.key


def test_r02_and_r03_niks_that_cannot_be_real_and_from_another_province(masks):
    g = group("Kelompok NIK Uji", "36.04", [nik("36.04", 9101), nik("36.04", 9102), nik("36.04", 9103),
                                            nik("36.04", 9104), nik("36.04", 9105)])
    services.application_propose(group=g, program=masks, actor=None)
    members = list(g.members.order_by("pk"))
    plant = {
        members[1].pk: "3604013202800001",  # 32 February: no such day → R02
        members[2].pk: "9904011205800002",  # region 99.04 does not exist → R02
        members[3].pk: "6306017101800003",  # Kalsel region, a woman born 31 Jan → R03 only
        members[4].pk: "3604012902840004",  # 29 February 1984 or 2084: a leap year → near-miss
    }
    with connection.cursor() as cursor:
        for pk, value in plant.items():
            cursor.execute("UPDATE recipients_member SET nik = %s WHERE id = %s", [value, pk])
    # A leader who is not a member is judged as the leader; one who is, once, as a member.
    outside = group("Kelompok Ketua Luar", "36.04", [nik("36.04", 9106), nik("36.04", 9107)])
    inside = group("Kelompok Ketua Dalam", "36.04", [nik("36.04", 9108), nik("36.04", 9109)])
    for g in (outside, inside):
        services.application_propose(group=g, program=masks, actor=None)
    leader = inside.members.get(nik=nik("36.04", 9108))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recipients_recipientgroup SET leader_nik = '3604013102800008' WHERE id = %s",
                       [outside.pk])  # 31 February, and no member's
        cursor.execute("UPDATE recipients_recipientgroup SET leader_nik = '3604013002800009' WHERE id = %s",
                       [inside.pk])  # 30 February, the leader's own member row too
        cursor.execute("UPDATE recipients_member SET nik = '3604013002800009' WHERE id = %s", [leader.pk])
    r02 = {(f.key, tuple(f.evidence["members"])): f.measure["reasons"] for f in found("R02")}
    assert r02 == {(f"m{members[1].pk}", (members[1].pk,)): ["birth"],
                   (f"m{members[2].pk}", (members[2].pk,)): ["region"],
                   (f"l{outside.pk}", ()): ["birth"], (f"m{leader.pk}", (leader.pk,)): ["birth"]}
    r03 = found("R03")
    assert [f.evidence["members"] for f in r03] == [[members[3].pk]]
    assert r03[0].information and r03[0].measure == {"nik_province": "63", "group_province": "36"}


def test_r04_handover_before_the_decree(masks):
    early = approve(group("Kelompok Serah Dini", "36.04", [nik("36.04", 9201)]), masks, sk_date=dt.date(2020, 12, 15))
    deliver(early, on=dt.date(2020, 12, 10), amount=1_000_000)
    same_day = approve(group("Kelompok Serah Tepat", "36.04", [nik("36.04", 9202)]), masks,
                       sk_date=dt.date(2020, 12, 10))
    deliver(same_day, on=dt.date(2020, 12, 10), amount=1_000_000)
    assert [groups_of(f) for f in found("R04")] == [{"Kelompok Serah Dini"}]


def test_r05_realization_outside_its_fiscal_year(masks):
    allocation = Allocation.objects.filter(program=masks).first()
    outside = budget_services.realization_create(allocation=allocation, date=dt.date(2020, 12, 31), amount=1_000,
                                                 description="Uji di luar tahun")
    budget_services.realization_create(allocation=allocation, date=dt.date(2020, 12, 31), amount=1_000,
                                                description="Uji akhir tahun")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE programs_realization SET date = '2021-01-04' WHERE id = %s", [outside.pk])
    assert [f.evidence["realizations"] for f in found("R05")] == [[outside.pk]]  # not ``inside``


def test_r06_approvals_under_the_threshold_and_one_hour_over(masks, settings):
    settings.FLAG_FAST_APPROVAL_HOURS = 24
    fast = approve(group("Kelompok Cepat", "36.04", [nik("36.04", 9301)]), masks)
    slow = approve(group("Kelompok Wajar", "36.04", [nik("36.04", 9302)]), masks)
    with connection.cursor() as cursor:
        for application, hours in ((fast, 23), (slow, 25)):
            cursor.execute("""UPDATE recipients_application a SET created_at = s.created_at - make_interval(hours => %s)
                              FROM recipients_verificationstep s
                              WHERE s.application_id = a.id AND s.to_state = 'approved' AND a.id = %s""",
                           [hours, application.pk])
    flagged = {f.evidence["applications"][0]: f.measure for f in found("R06")}
    assert flagged[fast.pk] == {"hours": 23.0, "threshold": 24} and slow.pk not in flagged


def test_r07_every_step_by_one_account(masks):
    officer = User.objects.get(username="banten")
    alone = approve(group("Kelompok Satu Akun", "36.04", [nik("36.04", 9401)]), masks)
    shared = approve(group("Kelompok Dua Akun", "36.04", [nik("36.04", 9402)]), masks)
    serang = User.objects.get(username="serang")
    with connection.cursor() as cursor:
        for application in (alone, shared):
            cursor.execute("UPDATE recipients_application SET created_by_id = %s WHERE id = %s",
                           [officer.pk, application.pk])
            cursor.execute("UPDATE recipients_verificationstep SET actor_id = %s WHERE application_id = %s",
                           [officer.pk, application.pk])
        cursor.execute("UPDATE recipients_verificationstep SET actor_id = %s WHERE application_id = %s "
                       "AND to_state = 'doc_checked'", [serang.pk, shared.pk])
    assert [f.evidence["applications"] for f in found("R07")] == [[alone.pk]]


def test_r08_groups_sharing_a_phone_or_nib_under_different_names(masks):
    a = group("Kelompok Telepon A", "36.04", [nik("36.04", 9501)], phone="081299990001")
    b = group("Kelompok Telepon B", "36.02", [nik("36.02", 9502)], phone="081299990001")
    c = group("Kelompok Sendiri", "36.02", [nik("36.02", 9503)], phone="081299990002")
    for g in (a, b, c):
        services.application_propose(group=g, program=masks, actor=None)
    flagged = found("R08")
    assert [(f.measure["what"], groups_of(f)) for f in flagged] == [
        ("phone", {"Kelompok Telepon A", "Kelompok Telepon B"})]


def test_r09_a_december_spike_and_a_december_under_the_share(demo):
    spike = AllocationFactory(ceiling=CeilingFactory(fiscal_year=2022), amount=100_000_000)
    calm = AllocationFactory(ceiling=spike.ceiling, amount=100_000_000)
    for allocation, december in ((spike, 60_000_000), (calm, 40_000_000)):
        budget_services.realization_create(allocation=allocation, date=dt.date(2022, 6, 1), amount=40_000_000,
                                           description="Uji")
        budget_services.realization_create(allocation=allocation, date=dt.date(2022, 12, 20), amount=december,
                                           description="Uji Desember")
    flagged = [f for f in found("R09") if f.fiscal_year == 2022]
    assert [f.agencies for f in flagged] == [[spike.program.agency_id]]
    assert flagged[0].measure["share"] == 60.0


def test_r10_one_group_receives_an_outlier_share(masks):
    small = []
    for i in range(5):
        small.append(approve(group(f"Kelompok Kecil {i}", "36.04", [nik("36.04", 9600 + i)]), masks))
    big = approve(group("Kelompok Besar", "36.04", [nik("36.04", 9610)]), masks)
    for application in small:
        deliver(application, on=dt.date(2020, 12, 20), amount=2_000_000)
    deliver(big, on=dt.date(2020, 12, 20), amount=30_000_000)
    # Seven deliveries: five of Rp2 juta, the demo's Rp18 juta, Rp30 juta; Q3 + 1.5 IQR = Rp22 juta.
    flagged = found("R10")
    assert [groups_of(f) for f in flagged] == [{"Kelompok Besar"}]
    assert flagged[0].measure["fence"] == 22_000_000


def test_r11_the_same_group_the_same_program_two_years_running(masks):
    next_year = ProgramFactory(agency=masks.agency, fiscal_year=2021, name=masks.name, criteria=[])
    other = ProgramFactory(agency=masks.agency, fiscal_year=2021, name="Program lain 2021", criteria=[])
    again = RecipientGroup.objects.get(name="KUB Jahit Makmur Kramatwatu")
    approve(again, next_year)
    elsewhere = RecipientGroup.objects.get(name="Kelompok Masker Kain Ciruas")
    approve(elsewhere, other)
    assert [groups_of(f) for f in found("R11")] == [{"KUB Jahit Makmur Kramatwatu"}]


def test_r12_money_out_and_no_handover_after_the_days(demo, settings):
    settings.FLAG_NO_HANDOVER_DAYS = 60
    goods = AllocationFactory(ceiling=CeilingFactory(fiscal_year=2022),
                              program=ProgramFactory(fiscal_year=2022, kind=Program.Kind.EQUIPMENT))
    training = AllocationFactory(ceiling=goods.ceiling,
                                 program=ProgramFactory(fiscal_year=2022, kind=Program.Kind.TRAINING))
    for allocation in (goods, training):
        budget_services.realization_create(allocation=allocation, date=dt.date(2022, 3, 1), amount=5_000_000,
                                           description="Pembelian mesin")
    budget_services.realization_create(allocation=goods, date=dt.date(2022, 3, 20), amount=2_000_000,
                                       description="Pembelian mesin kedua")
    flagged = [f.evidence["allocations"] for f in found("R12") if f.fiscal_year == 2022]
    assert flagged == [[goods.pk]]
    # Run on the 60th day after: not yet.
    flags.compute(codes=["R12"], today=dt.date(2022, 4, 30))
    assert Flag.objects.get(indicator="R12", key=f"al{goods.pk}").state == Flag.State.CLOSED
    # The 61st: the 1 March money is old, the 20 March money (the same month) not yet.
    flags.compute(codes=["R12"], today=dt.date(2022, 5, 1))
    flag = Flag.objects.get(indicator="R12", key=f"al{goods.pk}")
    assert flag.state == Flag.State.OPEN
    assert (flag.measure["amount"], flag.measure["realizations"], flag.measure["first_date"]) == (
        5_000_000, 1, "2022-03-01")


# --- Cases follow the data ----------------------------------------------------------------------


def test_a_case_closes_when_its_pattern_is_gone_and_reopens_when_it_returns(masks):
    g = group("Kelompok Berubah", "36.04", [nik("36.04", 9701), nik("36.04", 9702)])
    services.application_propose(group=g, program=masks, actor=None)
    member = g.members.order_by("pk").last()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recipients_member SET nik = '3604013202800009' WHERE id = %s", [member.pk])
    counts = flags.compute(codes=["R02"])
    assert {k: v for k, v in counts["R02"].items() if k != "seconds"} == {"found": 1, "raised": 1, "reopened": 0,
                                                                          "closed": 0}
    flag = Flag.objects.get(indicator="R02")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recipients_member SET nik = %s WHERE id = %s", [nik("36.04", 9709), member.pk])
    assert flags.compute(codes=["R02"])["R02"]["closed"] == 1
    flag.refresh_from_db()
    assert flag.state == Flag.State.CLOSED
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recipients_member SET nik = '3604013202800009' WHERE id = %s", [member.pk])
    assert flags.compute(codes=["R02"])["R02"]["reopened"] == 1
    assert list(flag.events.values_list("kind", "from_state", "to_state")) == [
        ("raised", "", "open"), ("closed", "open", "closed"), ("reopened", "closed", "open")]
    # Run again with nothing changed: nothing moves.
    again = flags.compute(codes=["R02"])["R02"]
    assert (again["found"], again["raised"], again["reopened"], again["closed"]) == (1, 0, 0, 0)


def test_a_decided_case_stays_decided_when_its_pattern_is_gone(masks):
    g = group("Kelompok Diputus", "36.04", [nik("36.04", 9801), nik("36.04", 9802)])
    services.application_propose(group=g, program=masks, actor=None)
    member = g.members.order_by("pk").last()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recipients_member SET nik = '3604013202800008' WHERE id = %s", [member.pk])
    flags.compute(codes=["R02"])
    flag = Flag.objects.get(indicator="R02")
    cases.flag_decide(flag=flag, actor=User.objects.get(username="inspektorat"), to_state=Flag.State.DISMISSED,
                      text="Salah ketik operator, sudah dibetulkan di Dukcapil")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recipients_member SET nik = %s WHERE id = %s", [nik("36.04", 9808), member.pk])
    flags.compute(codes=["R02"])
    flag.refresh_from_db()
    assert flag.state == Flag.State.DISMISSED


# --- The case: auditor, OPD, the public ----------------------------------------------------------


@pytest.fixture
def duplicate_case(masks, uep):
    kpm = RecipientGroup.objects.get(name="KPM Warung Sembako Ciruas")
    shared = kpm.members.exclude(nik=kpm.leader_nik).first().nik
    ikm_2021 = ProgramFactory(agency=masks.agency, fiscal_year=2021, kind=Program.Kind.TECHNICAL, criteria=[])
    approve(group("Kelompok Jahit Uji Ciruas", "36.04", [nik("36.04", 9001), shared]), ikm_2021)
    flags.compute(codes=["R01"])
    return Flag.objects.get(indicator="R01"), shared


def test_the_auditor_sees_the_full_nik_logged_the_officer_a_masked_one(client, duplicate_case):
    flag, shared = duplicate_case
    client.force_login(User.objects.get(username="inspektorat"))
    page = client.get(reverse("reports:flag-detail", args=[flag.pk])).content.decode()
    assert shared in page and "KPM Warung Sembako Ciruas" in page and "Kelompok Jahit Uji Ciruas" in page
    view = PersonalDataView.objects.get(where=PersonalDataView.Where.FLAG)
    assert view.viewer.username == "inspektorat" and len(view.group_ids) == 2
    client.force_login(User.objects.get(username="banten"))
    page = client.get(reverse("reports:flag-detail", args=[flag.pk])).content.decode()
    assert shared not in page and f"{shared[:4]}••••••••{shared[-4:]}" in page
    assert PersonalDataView.objects.count() == 1


def test_review_answer_explained_with_every_step_kept(client, duplicate_case):
    flag, _ = duplicate_case
    auditor, officer = User.objects.get(username="inspektorat"), User.objects.get(username="banten")
    url = reverse("reports:flag-detail", args=[flag.pk])
    client.force_login(auditor)
    response = client.post(url, {"form": "putus", "putus-to_state": "explained", "putus-text": "",
                                 "putus-version": flag.version})
    assert response.status_code == 400 and "Belum ada jawaban OPD" in response.content.decode()
    response = client.post(url, {"form": "putus", "putus-to_state": "review", "putus-text": "Mohon penjelasan",
                                 "putus-version": flag.version})
    assert response.status_code == 302
    assert Notification.objects.filter(user=officer, kind="flag").exists()
    client.force_login(officer)
    pdf = SimpleUploadedFile("penjelasan.pdf", real_pdf(), content_type="application/pdf")
    response = client.post(url, {"form": "jawab", "jawab-text": "Dua orang berbeda dengan NIK tertukar; "
                                 "Dukcapil sudah membetulkan.", "jawab-documents": [pdf],
                                 "jawab-version": flag.version + 1})
    assert response.status_code == 302, response.content.decode()[:500]
    assert Notification.objects.filter(user=auditor, kind="flag").exists()
    client.force_login(auditor)
    flag.refresh_from_db()
    response = client.post(url, {"form": "putus", "putus-to_state": "explained", "putus-text": "Diterima",
                                 "putus-version": flag.version})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.state == Flag.State.EXPLAINED
    assert list(flag.events.values_list("kind", "to_state")) == [
        ("raised", "open"), ("decision", "review"), ("answer", "review"), ("decision", "explained")]
    document = flag.events.get(kind="answer").documents.get()
    response = client.get(reverse("reports:flag-document", args=[document.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_who_may_do_what_on_a_case(client, duplicate_case):
    flag, _ = duplicate_case
    url = reverse("reports:flag-detail", args=[flag.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for username, status in (("serang", 403), ("dpo-banten", 403), ("kalsel", 404), ("bpkad", 200),
                             ("banten", 200), ("dinsos", 200), ("admin", 200), ("inspektorat", 200)):
        client.force_login(User.objects.get(username=username))
        assert client.get(url).status_code == status, username
    # A coordinator and the national admin read; only the auditor decides, only the OPD answers.
    for username in ("bpkad", "admin", "banten"):
        client.force_login(User.objects.get(username=username))
        response = client.post(url, {"form": "putus", "putus-to_state": "dismissed", "putus-text": "x",
                                     "putus-version": flag.version})
        assert response.status_code == 403, username
    client.force_login(User.objects.get(username="inspektorat"))
    response = client.post(url, {"form": "jawab", "jawab-text": "x", "jawab-version": flag.version})
    assert response.status_code == 403
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN and flag.events.count() == 1


def test_a_move_needs_its_reason_and_a_stale_page_is_refused(duplicate_case):
    flag, _ = duplicate_case
    auditor = User.objects.get(username="inspektorat")
    with pytest.raises(ValidationError):
        cases.flag_decide(flag=flag, actor=auditor, to_state=Flag.State.DISMISSED, text="  ")
    cases.flag_decide(flag=flag, actor=auditor, to_state=Flag.State.REFERRED, text="Ke APIP", expected_version=1)
    with pytest.raises(cases.StaleCase):
        cases.flag_decide(flag=flag, actor=auditor, to_state=Flag.State.REVIEW, text="x", expected_version=1)
    with pytest.raises(ValidationError):  # a referral is final
        cases.flag_decide(flag=flag, actor=auditor, to_state=Flag.State.REVIEW, text="x")
    with pytest.raises(PermissionDenied):
        cases.flag_answer(flag=flag, actor=User.objects.get(username="banten"), text="x")
    assert FlagEvent.objects.filter(flag=flag).count() == 2


def test_the_list_pins_its_queries(client, duplicate_case, django_assert_max_num_queries):
    client.force_login(User.objects.get(username="inspektorat"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reports:flag-list") + "?status=semua")
    assert response.status_code == 200 and "R01" in response.content.decode()


def test_the_public_counts_name_no_record(duplicate_case):
    flag, shared = duplicate_case
    rows = cases.public_counts(region("36"))
    r01 = next(r for r in rows if r["indicator"] == "R01")
    assert (r01["raised"], r01["open"], r01["explained"]) == (1, 1, 0)
    assert shared not in str(rows) and "Ciruas" not in str(rows)
    auditor = User.objects.get(username="inspektorat")
    cases.flag_decide(flag=flag, actor=auditor, to_state=Flag.State.REVIEW, text="")
    cases.flag_answer(flag=Flag.objects.get(pk=flag.pk), actor=User.objects.get(username="banten"), text="Penjelasan")
    cases.flag_decide(flag=Flag.objects.get(pk=flag.pk), actor=auditor, to_state=Flag.State.EXPLAINED, text="")
    r01 = next(r for r in cases.public_counts(region("36")) if r["indicator"] == "R01")
    assert (r01["raised"], r01["open"], r01["explained"]) == (1, 0, 1)


def test_definitions_fill_their_thresholds(settings):
    settings.FLAG_FAST_APPROVAL_HOURS = 12
    assert "12 jam" in flags.R06.text()
    assert "50%" in flags.R09.text()
    assert {i.code for i in flags.INDICATORS} == {f"R{n:02d}" for n in range(1, 13)}


# --- The demo's planted cases ------------------------------------------------------------------


def test_on_the_demo_each_indicator_flags_its_plant_and_not_its_near_miss(demo):
    """``load_demo`` plants one case per indicator and a near-miss beside it (reports.demo)."""
    from reports.demo import plant_flags

    assert plant_flags() == 7 and plant_flags() == 0  # idempotent
    flags.compute()
    # (The fixture computed the flags before the plants: the approvals it found fast are closed now.)
    found = {code: list(Flag.objects.filter(indicator=code).exclude(state=Flag.State.CLOSED).order_by("pk"))
             for code in flags.BY_CODE}
    names = {code: [groups_of(f) for f in fs] for code, fs in found.items()}
    assert names["R01"] == [{"KPM Warung Sembako Ciruas", "Kelompok Jahit Ciruas Mandiri"}]  # not KPM Kue Basah
    assert names["R08"] == [{"Kelompok Perajin Tas Pontang", "Kelompok Tenun Pontang"}]
    assert [f.measure["reasons"] for f in found["R02"]] == [["birth"]]  # not the women's day + 40
    assert names["R02"] == names["R03"] == [{"Kelompok Tenun Pontang"}]
    assert names["R04"] == [{"KPM Bengkel Motor Kramatwatu"}]  # not the four handed over after their SK
    assert names["R10"] == [{"KPM Bengkel Motor Kramatwatu"}]  # not the four of Rp2,5 juta
    assert names["R07"] == [{"KPM Ternak Ayam Cikande"}]
    assert names["R11"] == [{"KUB Jahit Makmur Kramatwatu"}]
    r06 = [Application.objects.get(pk=f.evidence["applications"][0]).group.name for f in found["R06"]]
    assert r06 == ["Kelompok Jahit Ciruas Mandiri"]  # every other approval came a fortnight after
    assert [(f.fiscal_year, f.measure["share"]) for f in found["R09"]] == [(2021, 52.6)]  # not Disperindag 2020
    assert [Realization.objects.get(pk=f.evidence["realizations"][0]).date for f in found["R05"]] == [
        dt.date(2022, 1, 4)]  # not the Rp100 juta of 31 December 2021
    r12 = {Allocation.objects.get(pk=f.evidence["allocations"][0]).regency.code for f in found["R12"]}
    assert "36.02" in r12 and "36.04" not in r12  # Lebak paid with no handover; Serang handed over after
    assert all(found.values()), [code for code, fs in found.items() if not fs]


# --- The planted-anomaly generator -------------------------------------------------------------


def test_generate_national_plants_each_pattern_and_every_plant_is_found(regions):
    """``generate_national --anomalies 3``: every planted case found; the clean synthetic rows
    raise none of the NIK, timing, spike or concentration flags."""
    from django.core.management import call_command

    from tests.reports.anomalies import other_flags, planted_and_found

    call_command("generate_national", groups=3000, realizations=20000, seed=3, anomalies=3, verbosity=0)
    flags.compute()
    with connection.cursor() as cursor:
        result = planted_and_found(cursor)
        others = other_flags(cursor)
    # (3,000 groups leave one program with the six deliveries a concentration plant needs.)
    assert all(planted >= (1 if code == "R10" else 3) for code, (planted, _f) in result.items()), str(result)
    assert {code: found for code, (_p, found) in result.items()} == {
        code: planted for code, (planted, _f) in result.items()}, result
    # Clean synthetic data: only goods allocations whose regency saw no delivery after the money
    # (R12) and handovers moved by an R12 plant (R04) may remain.
    assert set(others) <= {"R04", "R12"}, others


# --- Within a minute of a write --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_write_raises_its_case_at_the_next_live_tick_and_nothing_runs_without_one(regions):
    """The live path (beat, FLAGS_LIVE_SECONDS): after a committed write the indicators run and
    the new case is there; with no write since, nothing runs."""
    from django.core.cache import cache

    from accounts.demo import load_users
    from programs.demo import load_budgets
    from recipients.demo import load_recipients

    load_budgets()
    load_users()
    load_recipients()
    cache.delete(flags.VERSION_KEY)

    def flush_stats():  # what each session does by itself within about a second of its commit
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT pg_stat_clear_snapshot()")

    flush_stats()
    assert flags.compute_if_changed() is not None  # never computed: it runs
    flush_stats()
    assert flags.compute_if_changed() is None  # nothing written since
    member = RecipientGroup.objects.get(name="Kelompok Perajin Tas Pontang").members.order_by("pk").last()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recipients_member SET nik = '3604013202800007' WHERE id = %s", [member.pk])
    flush_stats()
    counts = flags.compute_if_changed()
    assert counts is not None and counts["R02"]["raised"] == 1
    assert Flag.objects.get(indicator="R02").evidence["members"] == [member.pk]


def test_the_auditors_dashboard_leads_with_the_cases_waiting(client, duplicate_case):
    auditor = User.objects.get(username="inspektorat")
    client.force_login(auditor)
    page = client.get(reverse("dashboard")).content.decode()
    waiting = cases.flags_visible_to(auditor).filter(state__in=cases.OPEN_STATES).count()
    assert waiting < Flag.objects.filter(state__in=cases.OPEN_STATES).count()  # Kalsel's are not Banten's
    assert f"{waiting} temuan menunggu" in page and reverse("reports:flag-list") in page
    client.force_login(User.objects.get(username="banten"))
    assert "temuan menunggu" not in client.get(reverse("dashboard")).content.decode()
