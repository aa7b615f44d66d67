"""PDF documents, rendered by WeasyPrint from HTML templates and the same reads as the pages:

- the realization report (*Laporan Realisasi Anggaran*) of a province, an OPD or a program for a
  month, a quarter or the year, signed by the officer who makes it — built by a worker like a big
  export (``recipients.exports``: a job, progress, a private file), and mailed monthly to its
  subscribers (``reports.subscriptions``);
- the handover record of one delivery (*berita acara serah terima*), numbered;
- the attachment of an approval decree (*lampiran SK*): the groups approved under one number;
- the public province summary.

Every document says "data per …" (the rollup run its figures come from), badges illustrative
money "ilustrasi" and comes out in the language asked for. Nothing is fetched from outside: the
styles are in the template and every other URL is refused."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import loader
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exports import Table
from core.models import Region
from programs.selectors import agencies_visible_to, programs_visible_to
from reports import policy
from reports.rollup import rollup_as_of
from reports.statements import (
    Period,
    decree_groups,
    handover_number,
    handover_step,
    period_reversals,
    period_revisions,
    realization_statement,
)

REALIZATION = "lra"
PROGRESS_EVERY = 500


def _refuse(url, *args, **kwargs):
    raise ValueError(f"no outside resources in a report: {url}")


def render_pdf(template: str, context: dict, *, language: str | None = None) -> bytes:
    """The template as a PDF, in ``language`` (the active one when None)."""
    import weasyprint  # noqa: PLC0415 - loaded by the processes that print, not by every web worker

    with translation.override(language or translation.get_language()):
        html = loader.render_to_string(template, {
            **context, "as_of": rollup_as_of(), "made_at": timezone.localtime(),
            "LANGUAGE_CODE": translation.get_language(), "site_url": settings.SITE_URL})
    return weasyprint.HTML(string=html, base_url=settings.SITE_URL, url_fetcher=_refuse).write_pdf()


def signature(user, when: dt.date | None = None) -> dict:
    """The signature block from the signer's account: name, NIP, position, place and date."""
    when = when or timezone.localdate()
    return {"name": user.get_full_name() or user.username, "nip": user.nip, "position": user.position,
            "place": user.signing_place or (user.province.name if user.province_id else ""),
            "date": date_format(when, "j F Y")}


# --- The realization report ----------------------------------------------------------------------


def realization_scope(user, params: dict) -> dict:
    """The report's province, OPD, program and period from ``params``, checked against what
    ``user`` may print; ValidationError names what is wrong, PermissionDenied what is not theirs."""
    province = Region.objects.provinces().filter(code=str(params.get("provinsi", ""))).first()
    if province is None:
        raise ValidationError(_("Pilih provinsi."))
    if not policy.prints_realization(user, province):
        raise PermissionDenied
    try:
        year = int(str(params.get("tahun", "")))
        period = Period.parse(year, str(params.get("periode", "tahun")))
    except ValueError:
        raise ValidationError(_("Tahun atau periode tidak dikenal.")) from None
    agency = program = None
    if params.get("opd"):
        agency = agencies_visible_to(user).filter(pk=_number(params["opd"])).first()
        if agency is None:
            raise ValidationError(_("OPD tidak ditemukan dalam cakupan Anda."))
    if params.get("program"):
        program = programs_visible_to(user).filter(pk=_number(params["program"]), fiscal_year=year).first()
        if program is None:
            raise ValidationError(_("Program tidak ditemukan untuk tahun itu dalam cakupan Anda."))
        agency = program.agency
    return {"province": province, "period": period, "agency": agency, "program": program}


def _number(text) -> int:
    text = str(text)
    return int(text) if text.isascii() and text.isdigit() else 0


def realization_context(user, params: dict, progress=lambda done, total=None: None) -> dict:
    scope = realization_scope(user, params)
    where = {"agency": scope["agency"], "program": scope["program"]}
    statement = realization_statement(scope["province"], scope["period"], **where)
    revisions = period_revisions(scope["province"], scope["period"], **where)
    reversals = period_reversals(scope["province"], scope["period"], **where)
    total = statement["programs"] + revisions.count() + reversals.count()
    progress(statement["programs"], total)
    done, lists = statement["programs"], {"revisions": [], "reversals": []}
    for name, rows in (("revisions", revisions), ("reversals", reversals)):
        for row in rows.iterator(chunk_size=2000):
            lists[name].append(row)
            done += 1
            if done % PROGRESS_EVERY == 0:
                progress(done)
    page = reverse("reports:province-detail", args=[scope["province"].code]) + f"?tahun={scope['period'].year}"
    return {**scope, **lists, "statement": statement, "signer": signature(user), "page_url": page}


def realization_pdf(user, params: dict, progress=lambda done, total=None: None) -> bytes:
    """The realization report as a PDF (a worker builds it: ``recipients.exports``)."""
    with translation.override(params.get("bahasa") or translation.get_language()):
        context = realization_context(user, params, progress)
    return render_pdf("reports/pdf/realization.html", context, language=params.get("bahasa"))


REALIZATION_TABLE = Table(
    slug=REALIZATION, title=gettext_lazy("Laporan realisasi anggaran"), header=[],
    filtered=lambda user, params: (None, None), rows=lambda user, queryset, shown=None: iter(()),
    allowed=policy.prints_realization, list_url="reports:report-realization", filename="laporan-realisasi",
    document=realization_pdf)


# --- Handover record, decree attachment, province summary ---------------------------------------------


def handover_pdf(user, steps, pk: int) -> bytes | None:
    step = handover_step(steps, pk)
    if step is None:
        return None
    application = step.application
    return render_pdf("reports/pdf/handover.html", {
        "step": step, "application": application, "group": application.group, "program": application.program,
        "number": handover_number(step), "evidence": list(step.evidence.all()),
        "officer": signature(step.actor, step.handover_date) if step.actor else None,
        "signer": signature(user, step.handover_date)})


def decree_pdf(user, applications, sk_number: str) -> bytes | None:
    rows = list(decree_groups(applications, sk_number))
    if not rows:
        return None
    return render_pdf("reports/pdf/decree.html", {
        "sk_number": sk_number, "rows": rows, "programs": sorted({r.program.name for r in rows}),
        "handed_over": sum(r.handed_over or 0 for r in rows), "signer": signature(user)})


def province_pdf(context: dict) -> bytes:
    """The public province page's figures (``reports.views.province_detail``'s context) as a PDF."""
    return render_pdf("reports/pdf/province.html", context)
