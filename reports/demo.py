"""Demo red flags: for each indicator of ``reports.flags`` one planted case that it raises and a
near-miss that it leaves alone, on top of the demo data from the articles — so that the demo
auditor (``inspektorat``) has cases to work and every rule can be seen to hold.

Everything here is illustrative (invented groups, families, dates and amounts, all in 2021 and
2022, so the 2020 figures of the articles do not move) and says so. Most records go through the
services like any office's; the few a service would refuse — a NIK with no such birth date, a
realization dated outside its fiscal year, one account doing every step — are what an import from
an older system leaves behind, and are written the way such data arrives: by a plain UPDATE, with
the public ledger told of the result. Idempotent: nothing is planted twice.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from accounts.models import User
from core.models import Region
from ledger import entries as ledger
from programs import services as budget_services
from programs.models import Allocation, Program, Realization
from recipients import services
from recipients.models import RecipientGroup, Sector, State

MASKS_2021 = "Bantuan peralatan produksi bagi IKM terdampak Covid-19"
UEP = "Usaha Ekonomi Produktif (UEP) bagi KPM lulusan Jamsosratu"
MARK = "Kelompok Jahit Ciruas Mandiri"  # the first plant: present means all are


def _nik(regency: str, serial: int, day: int = 14, month: int = 3, year: int = 82) -> str:
    return f"{regency.replace('.', '')}01{day:02d}{month:02d}{year:02d}{serial:04d}"


def _group(name, code, niks, *, kind=RecipientGroup.Kind.IKM, phone="", sector=Sector.GARMENTS):
    members = [services.MemberData(name=f"{name.split()[-1]} {i + 1} (ilustrasi)", nik=n,
                                   role="leader" if i == 0 else "member") for i, n in enumerate(niks)]
    return services.group_create(data=services.GroupData(
        name=name, regency_id=Region.objects.get(code=code).pk, sector=sector, leader_name=members[0].name,
        leader_nik=niks[0], kecamatan="(ilustrasi)", contact_phone=phone, members=members, kind=kind), actor=None)


def _approve(group, program, *, checker, approver, sk_number, sk_date):
    application = services.application_propose(group=group, program=program, actor=checker)
    yes = {c: {"met": True, "note": "Terverifikasi (ilustrasi)"} for c in program.criteria}
    services.application_advance(application=application, to_state=State.DOC_CHECKED, actor=checker)
    services.application_advance(application=application, to_state=State.FIELD_CHECKED, actor=checker, answers=yes)
    services.application_advance(application=application, to_state=State.APPROVED, actor=approver,
                                 sk_number=sk_number, sk_date=sk_date)
    return application


def _deliver(application, *, by, on, amount, allocation):
    services.application_advance(
        application=application, to_state=State.DELIVERED, actor=by,
        handover=services.Handover(date=on, items="Paket peralatan usaha (ilustrasi)", amount=amount,
                                   allocation=allocation, is_illustrative=True))


def _spend(allocation, on, amount, text, actor):
    return budget_services.realization_create(allocation=allocation, date=on, amount=amount, actor=actor,
                                              description=f"{text} (ilustrasi)", is_illustrative=True)


@transaction.atomic
def plant_flags() -> int:
    """Plant the demo's red flags (see the module's docstring); returns how many groups it made."""
    if RecipientGroup.objects.filter(name=MARK).exists() or not Program.objects.filter(name=UEP).exists():
        return 0
    user = {u.username: u for u in User.objects.filter(
        username__in=["banten", "dinsos", "serang", "dinsos-serang", "lebak"])}
    masks_2021 = Program.objects.get(name=MASKS_2021)
    uep = Program.objects.get(name=UEP)
    uep_in = {a.regency.code: a for a in Allocation.objects.filter(program=uep).select_related("regency")}
    ciruas_kpm = RecipientGroup.objects.get(name="KPM Warung Sembako Ciruas")
    shared, shared_in_uep = ciruas_kpm.members.exclude(nik=ciruas_kpm.leader_nik).order_by("pk").values_list(
        "nik", flat=True)[:2]

    # R01: a member of a Dinsos KPM family of Kab. Serang is also in a Disperindag IKM group, both
    # aided in 2021. R06: that approval came three hours after the proposal.
    mandiri = _group(MARK, "36.04", [_nik("36.04", 7001), _nik("36.04", 7002, day=55), shared])
    mandiri_app = _approve(mandiri, masks_2021, checker=user["serang"], approver=user["banten"],
                           sk_number="SK-36/101/DISPERINDAG/2021", sk_date=dt.date(2021, 3, 15))

    # Five KPM families of Kab. Serang through Dinsos' UEP in 2021. Near-miss of R01: the first
    # shares another member with KPM Warung Sembako Ciruas, in the same program. R10: the fifth receives
    # four times what each of the others does. R04: the fifth's handover is dated before its SK.
    # R07: the fourth's every step was made by one account.
    families = []
    for i, name in enumerate(["KPM Kue Basah Ciruas", "KPM Warung Kopi Kragilan", "KPM Jahit Kibin",
                              "KPM Ternak Ayam Cikande", "KPM Bengkel Motor Kramatwatu"]):
        niks = [_nik("36.04", 7100 + 10 * i, day=48 + i), _nik("36.04", 7101 + 10 * i)]
        if i == 0:
            niks.append(shared_in_uep)
        families.append(_group(name, "36.04", niks, kind=RecipientGroup.Kind.KPM, sector=Sector.TRADE))
    serang_uep = uep_in["36.04"]
    for i, family in enumerate(families):
        app = _approve(family, uep, checker=user["dinsos-serang"], approver=user["dinsos"],
                       sk_number=f"SK-36/2{i:02d}/DINSOS/2021", sk_date=dt.date(2021, 6, 1 + i))
        last = i == len(families) - 1
        _deliver(app, by=user["dinsos"], on=dt.date(2021, 5, 28) if last else dt.date(2021, 6, 10 + i),
                 amount=10_000_000 if last else 2_500_000, allocation=serang_uep)
        if i == 3:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE recipients_application SET created_by_id = %s WHERE id = %s",
                               [user["dinsos"].pk, app.pk])
                cursor.execute("UPDATE recipients_verificationstep SET actor_id = %s WHERE application_id = %s",
                               [user["dinsos"].pk, app.pk])

    # R08: a group with the phone of Kelompok Perajin Tas Pontang under another name. R02: one of
    # its members' NIK (from an older list) has no such birth date; R03: another's is from Kalsel.
    pontang = RecipientGroup.objects.get(name="Kelompok Perajin Tas Pontang")
    tenun = _group("Kelompok Tenun Pontang", "36.04", [_nik("36.04", 7201), _nik("36.04", 7202),
                                                        _nik("63.06", 7203)], phone=pontang.contact_phone)
    services.application_propose(group=tenun, program=masks_2021, actor=user["serang"])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE recipients_member SET nik = %s WHERE group_id = %s AND nik = %s",
                       ["3604013213820202", tenun.pk, _nik("36.04", 7202)])

    # R12: Rp50 juta of UEP goods paid in Kab. Lebak in May with no handover there since; the
    # near-miss is Kab. Serang, whose payment in April was followed by the handovers above.
    _spend(uep_in["36.02"], dt.date(2021, 5, 3), 50_000_000, "Pembelian paket usaha UEP", user["dinsos"])
    _spend(serang_uep, dt.date(2021, 4, 5), 20_000_000, "Pembelian paket usaha UEP", user["dinsos"])
    # R09: Dinsos' December 2021 is more than half of its year (Rp100 juta of Rp190 juta); the
    # near-miss is Disperindag's 2020, whose December is a fifth of its year.
    _spend(uep_in["36.73"], dt.date(2021, 12, 31), 100_000_000, "Pelunasan paket usaha UEP", user["dinsos"])
    # R05: a payment recorded in the 2021 books but dated January 2022 (an older system's import).
    late = budget_services.realization_create(
        allocation=uep_in["36.01"], date=dt.date(2021, 12, 30), amount=5_000_000, actor=user["dinsos"],
        description="Sisa pembayaran paket usaha UEP (ilustrasi)", is_illustrative=True, logged=False)
    Realization.objects.filter(pk=late.pk).update(date=dt.date(2022, 1, 4))
    ledger.record(ledger.REALIZATION_RECORDED, Realization.objects.get(pk=late.pk), user["dinsos"])

    # R11: KUB Jahit Makmur Kramatwatu, aided by the masks program in 2020, aided by its 2021
    # continuation under the same name (an illustrative program).
    masks_2020 = Program.objects.get(name="Bantuan teknis dan peralatan produksi masker ber-SNI bagi kelompok IKM",
                                     fiscal_year=2020)
    again, _ = Program.objects.get_or_create(
        agency=masks_2020.agency, fiscal_year=2021, name=masks_2020.name,
        defaults={"kind": masks_2020.kind, "target_count": 10, "criteria": [], "is_illustrative": True,
                  "description": "Lanjutan program 2020 (ilustrasi: tidak ada di artikel)."})
    kub = RecipientGroup.objects.get(name="KUB Jahit Makmur Kramatwatu")
    _approve(kub, again, checker=user["serang"], approver=user["banten"], sk_number="SK-36/102/DISPERINDAG/2021",
             sk_date=dt.date(2021, 4, 1))

    # R06 for every other demo approval: proposals a fortnight before their approval (an
    # application's proposal time is not published); the Ciruas Mandiri one three hours before.
    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE recipients_application a SET created_at = s.created_at - CASE WHEN a.id = %s
                THEN interval '3 hours' ELSE interval '14 days' END
            FROM recipients_verificationstep s
            WHERE s.application_id = a.id AND s.to_state = 'approved'""", [mandiri_app.pk])
    return 1 + len(families) + 1
