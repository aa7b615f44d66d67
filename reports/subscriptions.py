"""Monthly realization reports by e-mail. A staff member subscribes to their province (or one OPD
of it) and picks the day of the month; each morning the worker sends the previous month's report
to every subscription whose day has come and that has not had that month yet. Claiming the month
(``last_period``) in one UPDATE is what makes two beats, or a task delivered twice, send one mail;
a mail that could not be sent gives the month back for the next morning. Every mail carries a
one-click unsubscribe link (RFC 8058) that needs no sign-in."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template import loader
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reports import documents, policy
from reports.models import ReportSubscription
from reports.statements import Period

log = logging.getLogger(__name__)
SALT = "reports.subscription.unsubscribe"


def of(user):
    return ReportSubscription.objects.filter(user=user).select_related("province", "agency").order_by("pk")


def subscribe(*, user, province, agency=None, day: int, language: str) -> ReportSubscription:
    """One subscription per scope; subscribing again changes its day and language."""
    if not policy.prints_realization(user, province):
        raise ValidationError(_("Laporan provinsi ini di luar cakupan Anda."))
    if not 1 <= day <= 28:
        raise ValidationError(_("Tanggal kirim 1 sampai 28."))
    try:
        with transaction.atomic():
            subscription, _created = ReportSubscription.objects.update_or_create(
                user=user, province=province, agency=agency, defaults={"day": day, "language": language})
    except IntegrityError:  # the same form sent twice at once: the other request made it
        subscription = ReportSubscription.objects.get(user=user, province=province, agency=agency)
    return subscription


def token(subscription: ReportSubscription) -> str:
    return signing.dumps(subscription.pk, salt=SALT)


def from_token(text: str) -> ReportSubscription | None:
    try:
        pk = signing.loads(text, salt=SALT)
    except signing.BadSignature:
        return None
    return ReportSubscription.objects.filter(pk=pk).select_related("province", "agency").first()


def unsubscribe_url(subscription: ReportSubscription) -> str:
    return settings.SITE_URL + reverse("reports:unsubscribe", args=[token(subscription)])


def report_month(today: dt.date) -> dt.date:
    """The month a mail sent on ``today`` reports: the previous one (its first day)."""
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def send_due(today: dt.date | None = None) -> dict:
    """Send every subscription whose day has come this month and that has not had its report for
    the previous month. Returns how many were sent, skipped and failed."""
    today = today or timezone.localdate()
    month = report_month(today)
    due = ReportSubscription.objects.filter(Q(last_period__isnull=True) | Q(last_period__lt=month), day__lte=today.day)
    report = {"sent": 0, "skipped": 0, "failed": 0}
    for subscription in due.select_related("user", "province", "agency").order_by("pk"):
        before = subscription.last_period
        claimed = ReportSubscription.objects.filter(pk=subscription.pk).filter(
            Q(last_period__isnull=True) | Q(last_period__lt=month)).update(last_period=month)
        if not claimed:  # another beat, or another delivery of this task, has it
            continue
        user = subscription.user
        if not (user.is_active and user.email and policy.prints_realization(user, subscription.province)):
            report["skipped"] += 1
            continue
        try:
            _send(subscription, month)
        except Exception:
            log.exception("monthly report %s for %s failed", subscription.pk, month)
            ReportSubscription.objects.filter(pk=subscription.pk, last_period=month).update(last_period=before)
            report["failed"] += 1
        else:
            ReportSubscription.objects.filter(pk=subscription.pk).update(last_sent_at=timezone.now())
            report["sent"] += 1
    return report


def _send(subscription: ReportSubscription, month: dt.date) -> None:
    params = {"provinsi": subscription.province.code, "tahun": month.year, "periode": str(month.month),
              "bahasa": subscription.language}
    if subscription.agency_id:
        params["opd"] = subscription.agency_id
    content = documents.realization_pdf(subscription.user, params)
    link = unsubscribe_url(subscription)
    with translation.override(subscription.language):
        context = {"subscription": subscription, "period": Period.parse(month.year, str(month.month)),
                   "unsubscribe": link, "site_url": settings.SITE_URL}
        subject = "".join(loader.render_to_string("reports/mail/monthly_subject.txt", context).splitlines())
        body = loader.render_to_string("reports/mail/monthly_body.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[subscription.user.email], headers={
        "List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    message.attach(f"laporan-realisasi-{subscription.province.code}-{month:%Y-%m}.pdf", content, "application/pdf")
    message.send()
