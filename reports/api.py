"""The public, read-only REST API: the rollup and published program fields, never personal data.

Anonymous, throttled (``API_ANON_RATE``), paginated, filterable; OpenAPI at /api/schema/.
"""

from __future__ import annotations

import re

import django_filters
from csp.decorators import csp_update
from django.urls import include, path
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import mixins, routers, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response

from core.cache import live_public_page, public_page
from core.models import Region
from core.pagination import COUNT_CAP
from core.params import (
    ASCII_DIGITS,
    ID_MAX,
    YEAR_MAX,
    YEAR_MIN,
    BadParameter,
    IntegerFilter,
    RegionCodeFilter,
    YearFilter,
)
from programs.models import Program
from programs.reference import FUNDING_SOURCES
from recipients.models import State
from reports import cases, trail
from reports.models import ApplicationRollup, BudgetRollup, Flag
from reports.opendata import FIELDS
from reports.publication import published_serializer


def _budget_field(f):
    """A serializer field for one open-data column (``reports.opendata.FIELDS``)."""
    source = f.source.replace("__", ".")
    kind = {"integer": serializers.IntegerField, "boolean": serializers.BooleanField}.get(f.type, serializers.CharField)
    options = {} if f.constraints.get("required") else {"allow_null": True, "default": None}
    if source != f.name:
        options["source"] = source
    return kind(read_only=True, help_text=f"{f.title_id} / {f.title_en}", **options)


class _BudgetMeta:
    model = BudgetRollup
    fields = [f.name for f in FIELDS]


# The budget table with the same field names as the CSV, XLSX and JSON downloads.
BudgetRollupSerializer = type("BudgetRollupSerializer", (serializers.ModelSerializer,), {
    "Meta": _BudgetMeta, **{f.name: _budget_field(f) for f in FIELDS}})


class ProgramSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    province_code = serializers.CharField(source="agency.province.code", allow_null=True, default=None)
    source = serializers.CharField(source="source.title", allow_null=True, default=None)

    class Meta:
        model = Program
        fields = ["id", "name", "fiscal_year", "kind", "agency_id", "agency", "province_code", "description",
                  "target_count", "target_unit", "criteria", "status", "source", "is_illustrative"]


class ApplicationRollupSerializer(serializers.ModelSerializer):
    province_code = serializers.CharField(source="province.code")
    regency_code = serializers.CharField(source="regency.code")
    regency = serializers.CharField(source="regency.name")

    class Meta:
        model = ApplicationRollup
        fields = ["fiscal_year", "province_code", "regency_code", "regency", "program_id", "state", "groups",
                  "beneficiaries"]


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", allow_null=True, default=None)

    class Meta:
        model = Region
        fields = ["code", "name", "kind", "parent_code"]


class StrictFilterSet(django_filters.FilterSet):
    """API filters: a parameter given with an empty value is refused (400) like any value that
    does not parse, so a client's typo never silently means "everything"."""

    def is_valid(self):
        valid = super().is_valid()
        empty = [name for name in self.filters if name in self.data and not str(self.data.get(name)).strip()]
        for name in empty:
            self.form.add_error(name, _("Parameter %(name)s kosong; hapus atau isi.") % {"name": name})
        return valid and not empty


class BudgetFilter(StrictFilterSet):
    tahun = YearFilter(field_name="fiscal_year")
    provinsi = RegionCodeFilter(field_name="province__code")
    kabupaten = RegionCodeFilter(field_name="regency__code")
    opd = IntegerFilter(field_name="agency_id")
    program = IntegerFilter(field_name="program_id")
    jenis = django_filters.ChoiceFilter(field_name="program__kind", choices=Program.Kind.choices)
    sumber_dana = django_filters.ChoiceFilter(field_name="funding_source__code",
                                              choices=[(code, name) for code, name, _level in FUNDING_SOURCES])

    class Meta:
        model = BudgetRollup
        fields = []


class ProgramFilter(StrictFilterSet):
    tahun = YearFilter(field_name="fiscal_year")
    provinsi = RegionCodeFilter(field_name="agency__province__code")
    opd = IntegerFilter(field_name="agency_id")
    jenis = django_filters.ChoiceFilter(field_name="kind", choices=Program.Kind.choices)

    class Meta:
        model = Program
        fields = []


class GroupCountFilter(StrictFilterSet):
    tahun = YearFilter(field_name="fiscal_year")
    provinsi = RegionCodeFilter(field_name="province__code")
    kabupaten = RegionCodeFilter(field_name="regency__code")
    program = IntegerFilter(field_name="program_id")
    tahap = django_filters.ChoiceFilter(field_name="state", choices=State.choices)

    class Meta:
        model = ApplicationRollup
        fields = []


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class PublicAPISchema(AutoSchema):
    """Every operation documents its refusals next to its answer: 400 (a filter value that does
    not parse, as ``{"parameter": ["message"]}``), 404 (no such object or page) and 429
    (the anonymous rate limit)."""

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if direction == "response":
            refusals = {
                "400": OpenApiResponse(OpenApiTypes.OBJECT, description="Filter tidak valid / invalid filter value"),
                "404": OpenApiResponse(ErrorSerializer, description="Tidak ditemukan / not found"),
                "429": OpenApiResponse(ErrorSerializer, description="Terlalu banyak permintaan / rate limited"),
            }
            for code, response in refusals.items():
                bodies.setdefault(code, self._get_response_for_code(response, code, direction=direction))
        return bodies


class StrictPagination(PageNumberPagination):
    """``page`` must be a whole number when given (an empty or ``²`` page is a 400, not page 1)."""

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and (not ASCII_DIGITS.fullmatch(raw) or int(raw) < 1):
            raise ValidationError({self.page_query_param: [_("Halaman harus angka bulat mulai dari 1.")]})
        return super().get_page_number(request, paginator)  # a page past the last one is a 404

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    """Cached like every public page (``core.cache.public_page``): keyed on the rollup, the
    language and the URL, with ETag/Last-Modified, and served from Redis while PostgreSQL restarts."""

    schema = PublicAPISchema()
    pagination_class = StrictPagination

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        return public_page(super().as_view(actions, **initkwargs))


@extend_schema(tags=["anggaran"])
class BudgetViewSet(PublicViewSet):
    """Rekap anggaran per tahun × provinsi × kabupaten/kota × OPD × program × sumber dana.
    Baris pagu: OPD/program kosong. Satuan: rupiah bulat."""

    serializer_class = BudgetRollupSerializer
    filterset_class = BudgetFilter
    queryset = BudgetRollup.objects.select_related("province", "regency", "agency", "program", "funding_source")
    ordering = ["fiscal_year", "province__code", "id"]

    def get_queryset(self):
        return super().get_queryset().order_by(*self.ordering)


@extend_schema(tags=["program"])
class ProgramViewSet(PublicViewSet):
    """Program bantuan yang dipublikasikan (bukan draf)."""

    serializer_class = ProgramSerializer
    filterset_class = ProgramFilter
    queryset = Program.objects.public().select_related("agency__province", "source").order_by("-fiscal_year", "id")


@extend_schema(tags=["kelompok"])
class GroupCountViewSet(PublicViewSet):
    """Jumlah kelompok penerima dan penerima manfaat per tahap verifikasi (tanpa data pribadi)."""

    serializer_class = ApplicationRollupSerializer
    filterset_class = GroupCountFilter
    queryset = ApplicationRollup.objects.select_related("province", "regency").order_by("fiscal_year", "id")


@extend_schema(tags=["wilayah"])
class RegionViewSet(PublicViewSet):
    """Provinsi dan kabupaten/kota dengan kode Kemendagri."""

    serializer_class = RegionSerializer
    queryset = Region.objects.select_related("parent").order_by("code")
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{2}(\.[0-9]{2})?"


class FlagCountSerializer(serializers.Serializer):
    province_code = serializers.CharField(source="province__code")
    province = serializers.CharField(source="province__name")
    indicator = serializers.CharField(help_text="R01 … R12: /definisi/#R01")
    indicator_title = serializers.CharField(source="title")
    raised = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Terbuka atau sedang diperiksa / open or under review")
    explained = serializers.IntegerField()
    referred = serializers.IntegerField()
    dismissed = serializers.IntegerField()
    closed = serializers.IntegerField(help_text="Ditutup karena data berubah / closed: the data changed")


@extend_schema(tags=["integritas"], parameters=[OpenApiParameter(
    "provinsi", str, description="Kode provinsi Kemendagri, dua angka (36) / province code", pattern="^[0-9]{2}$")])
class FlagCountViewSet(viewsets.GenericViewSet):
    """Temuan (red flag) per provinsi dan indikator: jumlah yang ditemukan, terbuka, dijelaskan,
    dirujuk, dikesampingkan dan ditutup. Hanya jumlah, tanpa data pribadi; dibaca langsung
    (keputusan auditor tampak dalam semenit)."""

    schema = PublicAPISchema()
    serializer_class = FlagCountSerializer
    pagination_class = None
    queryset = Flag.objects.none()  # the answer is counts (reports.cases.public_counts), never these rows

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        return live_public_page(super().as_view(actions, **initkwargs))

    def list(self, request):
        unknown = sorted(set(request.query_params) - {"provinsi"})
        if unknown:
            raise ValidationError({name: [_("Parameter tidak dikenal.")] for name in unknown})
        if "provinsi" not in request.query_params:
            return Response(self.get_serializer(cases.public_counts(), many=True).data)
        code = request.query_params["provinsi"]
        if not re.fullmatch(r"[0-9]{2}", code):
            raise ValidationError({"provinsi": [_("Kode provinsi dua angka Kemendagri, mis. 36.")]})
        # A well-formed code that is no province has no flags: an empty list, as every filter.
        province = Region.objects.provinces().filter(code=code).first()
        rows = cases.public_counts(province) if province is not None else []
        return Response(self.get_serializer(rows, many=True).data)


CURSOR_PARAMS = ("after", "before")
CURSOR = re.compile(r"[A-Za-z0-9_-]{1,200}")  # URL-safe base64 (core.pagination)


class TrailSeekPagination(BasePagination):
    """The long trails (realizations, decisions) page by cursor like the page /jejak/: ``next``
    and ``previous`` links carry ``after``/``before``; ``count`` stops at 10,000
    (``count_capped``). Any page costs the same as the first (``reports.trail.page``)."""

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        # A cursor is opaque: one not in its alphabet is refused; one that decodes to nothing
        # (an old link) gives the first page, like the page /jejak/.
        errors = {name: [_("Kursor tidak dikenal: pakai tautan next/previous dari jawaban sebelumnya.")]
                  for name in CURSOR_PARAMS if name in request.query_params
                  and not CURSOR.fullmatch(request.query_params[name])}
        if errors:
            raise ValidationError(errors)
        self.page = trail.page(request, view.figure, view.scope, queryset)
        return list(self.page)

    def _link(self, present: bool, query: str) -> str | None:
        return self.request.build_absolute_uri(f"{self.request.path}?{query}") if present else None

    def get_paginated_response(self, data):
        return Response({
            "count": self.page.count, "count_capped": self.page.count_capped,
            "next": self._link(self.page.has_next, self.page.next_query),
            "previous": self._link(self.page.has_previous, self.page.previous_query),
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {"type": "object", "required": ["count", "count_capped", "results"], "properties": {
            "count": {"type": "integer", "maximum": COUNT_CAP},
            "count_capped": {"type": "boolean", "description": "lebih dari count baris / more rows than count"},
            "next": link, "previous": link, "results": schema}}

    def get_schema_operation_parameters(self, view):
        return [{"name": name, "required": False, "in": "query",
                 "schema": {"type": "string", "pattern": f"^{CURSOR.pattern}$"},
                 "description": "Kursor dari tautan next/previous / the cursor of a next/previous link"}
                for name in CURSOR_PARAMS]


class TrailViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The records behind a figure (``reports.trail``), in the published fields of their model
    (``reports.publication``), read live like the page /jejak/: cached a minute, with an ETag."""

    figure: str
    schema = PublicAPISchema()
    pagination_class = StrictPagination

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        return live_public_page(super().as_view(actions, **initkwargs))

    def get_queryset(self):
        errors = {}
        for name, parser in trail.PARAMETERS.items():
            if name in self.request.query_params:
                try:
                    parser(self.request.query_params[name])
                except BadParameter as exc:
                    errors[name] = [str(exc)]
        if errors:
            raise ValidationError(errors)
        self.scope = trail.scope_from(self.request.query_params)
        return trail.records(self.figure, self.scope)

    def get_serializer_class(self):
        return published_serializer(trail.MODELS[self.figure])


_ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
TRAIL_PARAMETERS = [
    OpenApiParameter("tahun", {"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX},
                     description="Tahun anggaran / fiscal year"),
    OpenApiParameter("provinsi", {"type": "string", "pattern": r"^[0-9]{2}$"},
                     description="Kode provinsi Kemendagri, mis. 36"),
    OpenApiParameter("kabupaten", {"type": "string", "pattern": r"^[0-9]{2}\.[0-9]{2}$"},
                     description="Kode kabupaten/kota, mis. 36.04"),
    OpenApiParameter("opd", _ID, description="ID OPD"),
    OpenApiParameter("program", _ID, description="ID program"),
    OpenApiParameter("pagu", _ID, description="ID pagu: alokasinya / the ceiling whose allocations to list"),
]


def _trail_viewset(figure: str, description: str):
    attributes = {"figure": figure, "__doc__": description}
    if figure in trail.SEEK_ORDERING:
        attributes["pagination_class"] = TrailSeekPagination
    view = type(f"Trail{figure.title()}ViewSet", (TrailViewSet,), attributes)
    return extend_schema(tags=["jejak"], parameters=TRAIL_PARAMETERS)(view)


TRAIL_VIEWSETS = {
    "pagu": _trail_viewset("pagu", "Pagu per provinsi, tahun dan sumber dana, dengan sumbernya."),
    "alokasi": _trail_viewset("alokasi", "Alokasi ke program OPD dengan setiap revisinya (jumlah lama → baru, "
                                         "alasan, tanggal)."),
    "realisasi": _trail_viewset("realisasi", "Realisasi: tanggal, jumlah, uraian, nomor SP2D/berita acara, dan serah "
                                             "terima kepada kelompok (nama KPM tidak pernah disebut)."),
    "kelompok": _trail_viewset("kelompok", "Persetujuan (nomor SK, tanggal) dan serah terima kepada kelompok."),
}


class PublicAPIRoot(routers.APIRootView):
    """Daftar sumber data API ini (anggaran, program, kelompok, wilayah, dan jejak di balik setiap
    angka) beserta alamatnya."""

    schema = None  # the root lists the endpoints; the schema documents each one

    @classmethod
    def as_view(cls, **initkwargs):
        return public_page(super().as_view(**initkwargs))


class PublicRouter(routers.DefaultRouter):
    APIRootView = PublicAPIRoot
    include_format_suffixes = False


router = PublicRouter()
router.register("anggaran", BudgetViewSet, basename="budget")
router.register("program", ProgramViewSet, basename="program")
router.register("kelompok", GroupCountViewSet, basename="group-count")
router.register("wilayah", RegionViewSet, basename="region")
router.register("integritas", FlagCountViewSet, basename="flag-count")
for _figure, _viewset in TRAIL_VIEWSETS.items():
    router.register(f"jejak/{_figure}", _viewset, basename=f"trail-{_figure}")

app_name = "api"
DOCS_CSP = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(throttle_classes=[]), name="schema"),
    # Swagger UI and Redoc inject their own <style> elements; their pages alone allow that.
    # Scripts stay 'self' only: the Swagger UI set-up comes as a separate script (split view).
    path("docs/", DOCS_CSP(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("redoc/", DOCS_CSP(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
]
