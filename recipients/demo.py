"""Demo groups at every verification state, from the articles' programs.

All names, NIKs and phone numbers are invented (illustrative) and follow the NIK structure
(region, birth date, serial) so they pass the same checks as real data. Idempotent: a group
is only created, proposed and moved when it does not exist yet.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import User
from core.models import Region
from programs.models import Allocation, Program
from recipients import selectors, services
from recipients.models import RecipientGroup, Sector, State

# (regency code, group name, sector, leader, members, program key, target state)
GROUPS = [
    ("36.04", "Kelompok Masker Kain Ciruas", Sector.MASKS, "Siti Aminah", 8, "masks", State.DELIVERED),
    ("36.04", "KUB Jahit Makmur Kramatwatu", Sector.MASKS, "Dedi Supriadi", 6, "masks", State.APPROVED),
    ("36.04", "Kelompok Konveksi Mandiri Anyer", Sector.GARMENTS, "Euis Kurniasih", 5, "masks",
     State.FIELD_CHECKED),
    ("36.04", "IKM Masker Sehat Cikande", Sector.MASKS, "Rudi Hartono", 7, "masks", State.DOC_CHECKED),
    ("36.04", "Kelompok Perajin Tas Pontang", Sector.CRAFTS, "Nani Rohaeni", 4, "masks", State.PROPOSED),
    ("36.04", "Kelompok Bordir Baros", Sector.GARMENTS, "Yayan Sofyan", 5, "masks", State.RETURNED),
    ("36.02", "Kelompok Masker Rangkasbitung", Sector.MASKS, "Iis Marlina", 6, "masks", State.FIELD_CHECKED),
    ("36.02", "IKM Gula Aren Cibeber", Sector.FOOD, "Ujang Saepudin", 9, "masks", State.REJECTED),
    ("36.01", "Kelompok Jahit Labuan", Sector.MASKS, "Komariah", 5, "masks", State.PROPOSED),
    ("36.73", "Kelompok Masker Kasemen", Sector.MASKS, "Ahmad Fauzi", 6, "masks", State.DOC_CHECKED),
    ("36.04", "KPM Warung Sembako Ciruas", Sector.TRADE, "Maryati", 4, "uep", State.APPROVED),
    ("36.02", "KPM Usaha Kue Malingping", Sector.TRADE, "Enok Sumarni", 3, "uep", State.DOC_CHECKED),
    ("36.03", "KPM Bengkel Las Balaraja", Sector.METAL, "Tatang Suhendar", 4, "uep", State.PROPOSED),
    ("36.71", "KPM Jahit Karawaci", Sector.GARMENTS, "Rohimah", 3, "uep", State.PROPOSED),
    ("63.06", "IKM Logam Pandai Besi Negara", Sector.METAL, "Syahrani", 10, "bbi", State.APPROVED),
    ("63.71", "Kelompok Minuman Herbal Kunyit Banjarmasin", Sector.FOOD, "Nurhayati", 7, "bbi",
     State.FIELD_CHECKED),
    ("19.71", "Kelompok Konveksi Pemula Pangkalpinang", Sector.GARMENTS, "Sri Wahyuni", 8, "konveksi",
     State.DOC_CHECKED),
    ("19.71", "IKM Masker Gratis Gerunggang", Sector.MASKS, "Hendra Gunawan", 6, "masker", State.PROPOSED),
]

PROGRAMS = {
    "masks": "Bantuan teknis dan peralatan produksi masker ber-SNI bagi kelompok IKM",
    "uep": "Usaha Ekonomi Produktif (UEP) bagi KPM lulusan Jamsosratu",
    "bbi": "Bangga Buatan Indonesia (BBI): promosi produk unggulan IKM",
    "konveksi": "Pelatihan IKM pemula sektor konveksi pakaian jadi",
    "masker": "Pemberdayaan IKM untuk produksi masker gratis bagi masyarakat",
}
FIRST_NAMES = ["Asep", "Dewi", "Eka", "Fitri", "Gina", "Hadi", "Imas", "Joko", "Kiki", "Lilis", "Mamat", "Neneng"]
PATH = [State.DOC_CHECKED, State.FIELD_CHECKED, State.APPROVED, State.DELIVERED]


def _nik(regency_code: str, seed: int, female: bool) -> str:
    day = 1 + seed % 28 + (40 if female else 0)
    return f"{regency_code.replace('.', '')}01{day:02d}{1 + seed % 12:02d}{70 + seed % 30:02d}{seed % 9000 + 1:04d}"


def _actors(regency: Region, application):
    """The demo login of the regency office that verifies this kind of group, and an officer of
    the program's OPD (None where no demo login exists: the system acts)."""
    district = User.objects.filter(role=User.Role.DISTRICT_STAFF, regency=regency,
                                   district_office=application.group.kind).first()
    province = next(iter(selectors.province_officers(regency.parent_id, application.program)), None)
    return district, (province if province is not None and province.is_provincial_officer else None)


def _advance_to(application, target: str, regency: Region, seed: int):
    district, province = _actors(regency, application)
    criteria = application.program.criteria
    yes = {c: {"met": True, "note": "Terverifikasi (ilustrasi)"} for c in criteria}
    if target == State.RETURNED:
        services.application_advance(application=application, to_state=State.RETURNED, actor=district,
                                     note="Fotokopi NIB belum dilampirkan; mohon dilengkapi.",
                                     missing_documents=["Fotokopi NIB"])
        return
    if target == State.REJECTED:
        services.application_advance(application=application, to_state=State.REJECTED, actor=district,
                                     note="Usaha tidak memenuhi kriteria program (bukan produsen masker).")
        return
    for state in PATH[: PATH.index(target) + 1]:
        kwargs = {}
        actor = district
        if state == State.FIELD_CHECKED:
            kwargs["answers"] = yes
        if state == State.APPROVED:
            office = application.program.agency.kind.upper()
            actor, kwargs["sk_number"] = province, f"SK-{regency.parent.code}/{seed:03d}/{office}/2020"
            kwargs["sk_date"] = dt.date(2020, 11, 2 + seed)  # illustrative, before the handover of 10 Dec
        if state == State.DELIVERED:
            actor = province
            allocation = Allocation.objects.filter(program=application.program,
                                                   ceiling__province_id=regency.parent_id).first()
            kwargs["handover"] = services.Handover(
                date=dt.date(2020, 12, 10), items="3 mesin jahit, 1 alat uji bahan masker (ilustrasi)",
                amount=18_000_000, allocation=allocation,
                # The articles give no handover: its Rp18 juta is demo data, and says so everywhere.
                is_illustrative=True,
            )
        services.application_advance(application=application, to_state=state, actor=actor, **kwargs)


@transaction.atomic
def load_recipients() -> int:
    regions = {r.code: r for r in Region.objects.regencies().select_related("parent")}
    created = 0
    for seed, (code, name, sector, leader, size, program_key, target) in enumerate(GROUPS, start=1):
        regency = regions[code]
        if RecipientGroup.objects.filter(regency=regency, normalized_name=services.normalize_name(name)).exists():
            continue
        members = [services.MemberData(name=leader, nik=_nik(code, seed * 100, seed % 2 == 0), role="leader")]
        members += [
            services.MemberData(name=f"{FIRST_NAMES[(seed + i) % len(FIRST_NAMES)]} {leader.split()[-1]}",
                                nik=_nik(code, seed * 100 + i, i % 2 == 0))
            for i in range(1, size)
        ]
        group = services.group_create(
            data=services.GroupData(
                name=name, regency_id=regency.pk, sector=sector, leader_name=leader, leader_nik=members[0].nik,
                kecamatan="(ilustrasi)", contact_phone=f"08128{seed:06d}", members=members,
                # The Dinsos UEP aid is for families (KPM), whatever their trade; the rest for IKM groups.
                kind=RecipientGroup.Kind.KPM if program_key == "uep" else RecipientGroup.Kind.IKM,
            ),
            actor=None,
        )
        program = Program.objects.get(name=PROGRAMS[program_key])
        district = User.objects.filter(role=User.Role.DISTRICT_STAFF, regency=regency,
                                       district_office=group.kind).first()
        application = services.application_propose(group=group, program=program, actor=district)
        if target != State.PROPOSED:
            _advance_to(application, target, regency, seed)
        created += 1
    return created
