"""Demo budgets built from the five articles in ``shared/seeds``.

Figures an article gives are entered as they are and cite it; everything else (names of
the other OPD, amounts the articles do not give, regency splits) is plausible, marked
``is_illustrative`` and never contradicts the articles. Idempotent: a record is only
created when its natural key is missing, so re-running loses nothing a user entered.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from core.models import Region
from programs import services
from programs.models import Agency, Allocation, BudgetCeiling, FundingSource, Indicator, Program, SourceArticle

ARTICLES = {
    "banten-ikm-2020": (
        "Pemprov Banten Konsisten Bantu IKM Terdampak Covid-19", "Kabar Banten (K4)", dt.date(2020, 10, 14)
    ),
    "kemenperin-dekon-2020": (
        "IKM Terdampak Corona Dapat Perhatian Serius dari Pemerintah", "SINDOnews", dt.date(2020, 6, 15)
    ),
    "kalsel-bbi-2020": ("83.000 IKM di Kalsel Terdampak Covid-19, Program BBI Dikebut", "Kanal Kalimantan", None),
    "babel-konveksi-2020": ("Pelatihan bagi IKM pemula sektor konveksi di Babel", "Laspela", dt.date(2020, 9, 3)),
    "banten-uep-2021": (
        "UMKM Banten Harus Tahu! Dinsos Siapkan Fasilitas Usaha Ekonomi Produktif", "SuaraBanten.id",
        dt.date(2020, 10, 27),
    ),
}

# The 11 other OPD sharing Banten's Rp20 miliar with Disperindag's Rp180 juta (article 000
# names only the total, the count and Disperindag's share). Amounts sum to the total.
BANTEN_OPD = [
    ("Dinas Sosial Provinsi Banten", "Dinsos Banten", Agency.Kind.DINSOS, 6_500_000_000, False),
    ("Dinas Koperasi dan UKM Provinsi Banten", "Dinkop UKM Banten", Agency.Kind.DINKOP, 4_200_000_000, True),
    ("Dinas Pertanian Provinsi Banten", "Distan Banten", Agency.Kind.OTHER, 2_100_000_000, True),
    ("Dinas Kelautan dan Perikanan Provinsi Banten", "DKP Banten", Agency.Kind.OTHER, 1_600_000_000, True),
    ("Dinas Tenaga Kerja dan Transmigrasi Provinsi Banten", "Disnakertrans Banten", Agency.Kind.OTHER,
     1_400_000_000, True),
    ("Dinas Pariwisata Provinsi Banten", "Dispar Banten", Agency.Kind.OTHER, 1_250_000_000, True),
    ("Dinas Ketahanan Pangan Provinsi Banten", "DKP Pangan Banten", Agency.Kind.OTHER, 900_000_000, True),
    ("Dinas Pemberdayaan Masyarakat dan Desa Provinsi Banten", "DPMD Banten", Agency.Kind.OTHER, 750_000_000, True),
    ("Dinas Kesehatan Provinsi Banten", "Dinkes Banten", Agency.Kind.OTHER, 600_000_000, True),
    ("Dinas Penanaman Modal dan PTSP Provinsi Banten", "DPMPTSP Banten", Agency.Kind.OTHER, 270_000_000, True),
    ("Biro Perekonomian dan Administrasi Pembangunan Banten", "Biro Ekbang Banten", Agency.Kind.OTHER,
     250_000_000, True),
]

# Every agency load_demo creates (generate_national accepts a database holding only these).
DEMO_AGENCY_NAMES = frozenset({
    "Dinas Perindustrian dan Perdagangan Provinsi Banten",
    "Badan Pengelolaan Keuangan dan Aset Daerah Provinsi Banten",
    "Direktorat Jenderal Industri Kecil, Menengah, dan Aneka — Kemenperin",
    "Dinas Perindustrian Provinsi Kalimantan Selatan",
    "Dinas Perindustrian dan Perdagangan Provinsi Kepulauan Bangka Belitung",
    *(name for name, *_rest in BANTEN_OPD),
})

# Dinsos UEP 2021: 2,500 KPM across Banten's 8 kabupaten/kota (article 004 gives the total;
# the split and the Rp5 juta per KPM are illustrative).
UEP_KPM_PER_REGENCY = {
    "36.01": 420, "36.02": 400, "36.03": 380, "36.04": 360, "36.71": 260, "36.72": 180, "36.73": 260, "36.74": 240,
}
UEP_PER_KPM = 5_000_000

# Kemenperin's 2020 deconcentration reached 34 provinces: the 34 that existed in 2020,
# i.e. all but the four Papua provinces formed in 2022.
PROVINCES_FORMED_2022 = {"93", "94", "95", "96"}


def _article(key: str) -> SourceArticle:
    title, publisher, date = ARTICLES[key]
    article, _ = SourceArticle.objects.get_or_create(
        key=key, defaults={"title": title, "publisher": publisher, "published_on": date}
    )
    return article


def _agency(name, short, kind, level, province=None, regency=None, *, source=None, illustrative=False) -> Agency:
    if name not in DEMO_AGENCY_NAMES:
        raise ValueError(f"{name!r}: add it to DEMO_AGENCY_NAMES")
    agency = Agency.objects.filter(name=name, province=province, regency=regency).first()
    if agency is None:
        agency = services.agency_create(
            name=name, short_name=short, kind=kind, level=level, province=province, regency=regency,
            source=source, is_illustrative=illustrative,
        )
    return agency


def _program(agency, year, name, kind, *, target=0, unit=Program.Unit.GROUPS, criteria=(), description="",
             source=None, illustrative=False) -> Program:
    program = Program.objects.filter(agency=agency, fiscal_year=year, name=name).first()
    if program is None:
        program = services.program_save(
            program=Program(
                agency=agency, fiscal_year=year, name=name, kind=kind, target_count=target, target_unit=unit,
                criteria=list(criteria), description=description, source=source, is_illustrative=illustrative,
            )
        )
    return program


def _ceiling(province, year, funding_code, amount, *, note="", source=None, illustrative=False) -> BudgetCeiling:
    funding = FundingSource.objects.get(code=funding_code)
    ceiling = BudgetCeiling.objects.filter(province=province, fiscal_year=year, funding_source=funding).first()
    if ceiling is None:
        ceiling = services.ceiling_create(
            province=province, fiscal_year=year, funding_source=funding, amount=amount, note=note,
            source=source, is_illustrative=illustrative,
        )
    return ceiling


def _allocation(ceiling, program, amount, *, regency=None, note="", source=None, illustrative=False):
    """Returns (allocation, created)."""
    existing = Allocation.objects.filter(ceiling=ceiling, program=program, regency=regency).first()
    if existing:
        return existing, False
    return services.allocation_create(
        ceiling=ceiling, program=program, amount=amount, regency=regency, note=note, source=source,
        is_illustrative=illustrative,
    ), True


def _indicator(province, kind, value, note, as_of, source):
    Indicator.objects.get_or_create(
        province=province, kind=kind, as_of=as_of, defaults={"value": value, "note": note, "source": source}
    )


@transaction.atomic
def load_budgets() -> dict[str, int]:
    region = {r.code: r for r in Region.objects.all()}
    if len(region) < 552:
        raise RuntimeError("Wilayah belum dimuat: jalankan `python manage.py load_regions` dahulu.")
    banten, kalsel, babel = region["36"], region["63"], region["19"]

    # --- Banten: Rp20 miliar across 12 OPD, Disperindag Rp180 juta (article 000) ---------------
    a000 = _article("banten-ikm-2020")
    disperindag = _agency("Dinas Perindustrian dan Perdagangan Provinsi Banten", "Disperindag Banten",
                          Agency.Kind.DISPERINDAG, Agency.Level.PROVINCE, banten, source=a000)
    # The budget coordinator's office (no article names it: illustrative).
    _agency("Badan Pengelolaan Keuangan dan Aset Daerah Provinsi Banten", "BPKAD Banten", Agency.Kind.FINANCE,
            Agency.Level.PROVINCE, banten, illustrative=True)
    ceiling = _ceiling(banten, 2020, "apbd-prov", 20_000_000_000, source=a000,
                       note="Anggaran pemulihan ekonomi Pemprov Banten, terbagi di 12 OPD.")
    masks = _program(
        disperindag, 2020, "Bantuan teknis dan peralatan produksi masker ber-SNI bagi kelompok IKM",
        Program.Kind.EQUIPMENT, target=12, source=a000,
        description="Bantuan bersifat teknis dan alat agar IKM masker memenuhi SNI dan standar kesehatan "
                    "dengan harga bersaing. Penerima diverifikasi Disperindag kabupaten/kota; disalurkan per "
                    "kelompok, bukan perorangan.",
        criteria=["Sangat terdampak Covid-19 (omzet turun)", "Memproduksi masker kain",
                  "Produk belum memenuhi SNI", "Berbentuk kelompok IKM, bukan perorangan"],
    )
    allocation, created = _allocation(ceiling, masks, 180_000_000, source=a000,
                                      note="“Indag melaksanakan Rp180 juta saja karena sifatnya bantuan alat.”")
    if created:
        services.realization_create(allocation=allocation, date=dt.date(2020, 11, 20), amount=72_000_000,
                                    description="Pengadaan mesin jahit dan alat uji masker tahap I (ilustrasi)",
                                    document_number="SP2D 0412/LS/DISPERINDAG/XI/2020 (ilustrasi)",
                                    is_illustrative=True)
    _program(disperindag, 2021, "Bantuan peralatan produksi bagi IKM terdampak Covid-19", Program.Kind.EQUIPMENT,
             target=20, illustrative=True,
             criteria=["Sangat terdampak Covid-19 (omzet turun)", "Berbentuk kelompok IKM"])
    for name, short, kind, amount, illustrative in BANTEN_OPD:
        agency = _agency(name, short, kind, Agency.Level.PROVINCE, banten, source=None if illustrative else a000,
                         illustrative=illustrative)
        program = _program(agency, 2020, f"Pemulihan ekonomi terdampak Covid-19 — {short}", Program.Kind.TECHNICAL,
                           illustrative=True)
        _allocation(ceiling, program, amount, illustrative=True)

    # --- Banten: Dinsos UEP 2021 for 2,500 KPM (article 004) -----------------------------------
    a004 = _article("banten-uep-2021")
    dinsos = Agency.objects.get(name="Dinas Sosial Provinsi Banten", province=banten)
    ceiling_2021 = _ceiling(banten, 2021, "apbd-prov", 15_000_000_000, illustrative=True,
                            note="Pagu APBD Banten 2021 untuk pemulihan ekonomi (ilustrasi).")
    uep = _program(
        dinsos, 2021, "Usaha Ekonomi Produktif (UEP) bagi KPM lulusan Jamsosratu", Program.Kind.CAPITAL_IN_KIND,
        target=2500, unit=Program.Unit.FAMILIES, source=a004,
        description="Bantuan modal usaha berupa barang, bukan uang tunai, bagi 2.500 KPM lulusan bansos "
                    "Jamsosratu (2013–2020) agar mandiri berwirausaha.",
        criteria=["Penerima bansos Jamsosratu 2013–2020", "Lulus asesmen dan pendampingan",
                  "Belum pernah atau baru mulai berwirausaha"],
    )
    for code, kpm in UEP_KPM_PER_REGENCY.items():
        _allocation(ceiling_2021, uep, kpm * UEP_PER_KPM, regency=region[code], illustrative=True,
                    note=f"{kpm} KPM × Rp5 juta (pembagian per kabupaten/kota ilustrasi)")

    # --- Kemenperin 2020 deconcentration in 34 provinces (article 001) --------------------------
    a001 = _article("kemenperin-dekon-2020")
    kemenperin = _agency("Direktorat Jenderal Industri Kecil, Menengah, dan Aneka — Kemenperin", "Ditjen IKMA",
                         Agency.Kind.KEMENPERIN, Agency.Level.NATIONAL, source=a001)
    dekon = _program(
        kemenperin, 2020, "Penumbuhan wirausaha industri baru bagi IKM terdampak Covid-19 (dekonsentrasi)",
        Program.Kind.TRAINING, source=a001,
        description="Anggaran dekonsentrasi untuk pemberdayaan SDM sektor IKM: penumbuhan, pengembangan "
                    "dan penyebaran IKM, setelah refocusing anggaran 2020.",
        criteria=["IKM terdampak Covid-19", "Wirausaha industri baru"],
    )
    provinces_2020 = [r for r in region.values() if r.is_province and r.code not in PROVINCES_FORMED_2022]
    for i, province in enumerate(sorted(provinces_2020, key=lambda r: r.code)):
        amount = 1_500_000_000 + (i * 37 % 11) * 100_000_000
        dekon_ceiling = _ceiling(province, 2020, "apbn-dekon", amount, illustrative=True,
                                 note="Dana dekonsentrasi Kemenperin 2020 (besaran per provinsi ilustrasi).")
        allocation, created = _allocation(dekon_ceiling, dekon, amount, illustrative=True)
        if created:
            services.allocation_revise(allocation=allocation, new_amount=amount * 85 // 100,
                                       reason="Refocusing anggaran 2020 bagi IKM terdampak Covid-19 (ilustrasi)")

    # --- Kalimantan Selatan: BBI and online Bimtek (article 002) ---------------------------------
    a002 = _article("kalsel-bbi-2020")
    disperin = _agency("Dinas Perindustrian Provinsi Kalimantan Selatan", "Disperin Kalsel",
                       Agency.Kind.DISPERIN, Agency.Level.PROVINCE, kalsel, source=a002)
    kalsel_ceiling = _ceiling(kalsel, 2020, "apbd-prov", 3_000_000_000, illustrative=True,
                              note="Pagu APBD Kalsel 2020 untuk IKM (ilustrasi).")
    bbi = _program(disperin, 2020, "Bangga Buatan Indonesia (BBI): promosi produk unggulan IKM",
                   Program.Kind.PROMOTION, target=500, unit=Program.Unit.IKM, source=a002,
                   criteria=["IKM terdampak Covid-19", "Produk unggulan kabupaten/kota"])
    bimtek = _program(
        disperin, 2020, "Bimtek online bagi pelaku IKM", Program.Kind.TRAINING, target=300,
        unit=Program.Unit.PARTICIPANTS, source=a002,
        description="Pelatihan daring: bantuan kuota internet Rp50 ribu per peserta, uang harian Rp100 ribu "
                    "atau konsumsi Rp40 ribu per hari; peserta tetap di rumah.",
        criteria=["Pelaku IKM di Kalimantan Selatan", "Terdampak Covid-19"],
    )
    halal = _program(disperin, 2020, "Fasilitasi sertifikat halal, izin edar dan informasi nilai gizi",
                     Program.Kind.CERTIFICATION, target=150, unit=Program.Unit.IKM, source=a002)
    for program, amount in ((bbi, 900_000_000), (bimtek, 75_000_000), (halal, 450_000_000)):
        _allocation(kalsel_ceiling, program, amount, illustrative=True)
    _indicator(kalsel, Indicator.Kind.IKM_AFFECTED, 83_000, "IKM yang merasakan krisis akibat Covid-19", None, a002)
    _indicator(kalsel, Indicator.Kind.WORKERS_LAID_OFF, 2_830,
               "Tenaga kerja dirumahkan/PHK, diminimalisir berkat pendampingan Bimtek", None, a002)

    # --- Bangka Belitung: konveksi training and mask production (article 003) --------------------
    a003 = _article("babel-konveksi-2020")
    babel_agency = _agency("Dinas Perindustrian dan Perdagangan Provinsi Kepulauan Bangka Belitung",
                           "Disperindag Babel", Agency.Kind.DISPERINDAG, Agency.Level.PROVINCE, babel, source=a003)
    babel_ceiling = _ceiling(babel, 2020, "apbd-prov", 1_200_000_000, illustrative=True,
                             note="Pagu APBD Babel 2020 untuk pemberdayaan IKM (ilustrasi).")
    konveksi = _program(babel_agency, 2020, "Pelatihan IKM pemula sektor konveksi pakaian jadi",
                        Program.Kind.TRAINING, target=40, unit=Program.Unit.PARTICIPANTS, source=a003)
    masker = _program(babel_agency, 2020, "Pemberdayaan IKM untuk produksi masker gratis bagi masyarakat",
                      Program.Kind.CAPITAL_IN_KIND, target=25, source=a003,
                      criteria=["IKM sandang/konveksi", "Omzet turun menurut survei April 2020"])
    for program, amount in ((konveksi, 160_000_000), (masker, 540_000_000)):
        _allocation(babel_ceiling, program, amount, illustrative=True)
    _indicator(babel, Indicator.Kind.REVENUE_SURVEY, None,
               "Survei Disperindag Babel: omzet IKM/UMKM turun, kapasitas produksi menurun", dt.date(2020, 4, 30), a003)

    return {
        "agencies": Agency.objects.count(),
        "programs": Program.objects.count(),
        "ceilings": BudgetCeiling.objects.count(),
        "allocations": Allocation.objects.count(),
    }
