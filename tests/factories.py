"""factory_boy factories. Regions are never built here: tests use the real Kemendagri rows."""

import factory

from accounts.models import User
from core.models import Region
from programs.models import Agency, Allocation, BudgetCeiling, FundingSource, Program


def region(code: str) -> Region:
    return Region.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="id_ID")
    password = factory.django.Password("sandi-uji-123")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Dinas Uji {n}")
    short_name = factory.Sequence(lambda n: f"Dinas {n}")
    kind = Agency.Kind.DISPERINDAG
    level = Agency.Level.PROVINCE
    province = factory.LazyFunction(lambda: region("36"))


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    agency = factory.SubFactory(AgencyFactory)
    fiscal_year = 2021
    name = factory.Sequence(lambda n: f"Program bantuan {n}")
    kind = Program.Kind.EQUIPMENT
    target_count = 10
    criteria = factory.LazyFunction(lambda: ["Sangat terdampak Covid-19"])


class CeilingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetCeiling

    province = factory.LazyFunction(lambda: region("36"))
    fiscal_year = 2021
    funding_source = factory.LazyFunction(lambda: FundingSource.objects.get(code="apbd-prov"))
    amount = 1_000_000_000


class AllocationFactory(factory.django.DjangoModelFactory):
    """Builds through the service so the ceiling's running total stays true."""

    class Meta:
        model = Allocation

    ceiling = factory.SubFactory(CeilingFactory)
    program = factory.SubFactory(ProgramFactory, fiscal_year=factory.SelfAttribute("..ceiling.fiscal_year"))
    amount = 100_000_000

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from programs.services import allocation_create

        return allocation_create(**kwargs)



# --- Real evidence files (the upload check decodes them; magic bytes alone are refused) ----------


def real_pdf() -> bytes:
    """A one-page PDF, as a scanner's would be, written by pypdf."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def real_image(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    """A small photo (JPEG) or screenshot (PNG), written by Pillow."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, fmt)
    return out.getvalue()
