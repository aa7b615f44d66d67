"""Reference data the product ships with: the funding sources the articles name."""

FUNDING_SOURCES = [
    ("apbn-dekon", "APBN — dana dekonsentrasi", "national"),
    ("apbn", "APBN — belanja pusat", "national"),
    ("pen", "Program Pemulihan Ekonomi Nasional (PEN)", "national"),
    ("apbd-prov", "APBD provinsi", "province"),
    ("apbd-kab", "APBD kabupaten/kota", "regency"),
]


def funding_sources_load(model) -> None:
    """Upsert by code; ``model`` is the real or the historical (migration) model."""
    for code, name, level in FUNDING_SOURCES:
        model.objects.update_or_create(code=code, defaults={"name": name, "level": level})
