"""Demo logins: one per persona the tests use too. Password for all: ``ikmrelief-demo``."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from core.models import Region
from programs.models import Agency

DEMO_PASSWORD = "ikmrelief-demo"  # noqa: S105 - documented demo password, never used in production


@transaction.atomic
def load_users() -> int:
    banten, kalsel = Region.objects.get(code="36"), Region.objects.get(code="63")
    people = [
        ("banten", "Rina", "Pejabat Disperindag Banten", User.Role.PROVINCIAL_OFFICER, banten, None,
         Agency.objects.get(short_name="Disperindag Banten")),
        ("dinsos", "Budi", "Dinsos Banten", User.Role.PROVINCIAL_OFFICER, banten, None,
         Agency.objects.get(short_name="Dinsos Banten")),
        ("kalsel", "Mahyuni", "Dinas Perindustrian Kalsel", User.Role.PROVINCIAL_OFFICER, kalsel, None,
         Agency.objects.get(short_name="Disperin Kalsel")),
        ("serang", "Sari", "Disperindag Kab. Serang", User.Role.DISTRICT_STAFF, banten,
         Region.objects.get(code="36.04"), None),
        ("lebak", "Asep", "Disperindag Kab. Lebak", User.Role.DISTRICT_STAFF, banten,
         Region.objects.get(code="36.02"), None),
        ("admin", "Admin", "Ditjen IKMA Kemenperin", User.Role.NATIONAL_ADMIN, None, None,
         Agency.objects.get(short_name="Ditjen IKMA")),
    ]
    for username, first, last, role, province, regency, agency in people:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "role": role, "province": province,
                      "regency": regency, "agency": agency, "is_staff": role == User.Role.NATIONAL_ADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
    return len(people)
