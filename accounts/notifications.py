"""In-app notifications and their e-mail: written by the services in the same transaction as
the event, mailed by the Celery worker after commit.

Who must act next is decided by the caller (``recipients`` and ``programs`` know their
workflow); this module only stores, counts and sends. Cost of ``notify``: 1 query (bulk insert)
plus one message queued per user who gets mail per event.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import mail
from accounts.models import Notification, User


def notify(*, users, kind: str, message: str, params: dict | None = None, url: str) -> list[Notification]:
    """One notification per active user in ``users``; mail for those who want each event.

    ``message`` is the text as written in the code (mark it with ``gettext_noop``) and ``params``
    its values: the inbox shows it in each reader's language; ``text`` and the mail are in the
    site's language."""
    recipients = list({u.pk: u for u in users if u is not None and u.is_active}.values())
    if not recipients:
        return []
    params = params or {}
    with translation.override(settings.LANGUAGE_CODE):
        text = _(message) % params if params else _(message)
    created = Notification.objects.bulk_create(
        [Notification(user=u, kind=kind, text=text[:300], message=message[:300], params=params, url=url[:300])
         for u in recipients]
    )
    for user, notification in zip(recipients, created, strict=True):
        if user.email and user.notification_email == User.EmailChoice.EACH:
            _mail(user, subject=f"IKM Relief: {text[:120]}", body=_body([notification]), mark=[notification.pk])
    return created


def _body(notifications) -> str:
    lines = [f"- {n.text}\n  {settings.SITE_URL}{n.url}" for n in notifications]
    return "\n".join([*lines, "", _("Buka kotak masuk: %(url)s") % {"url": f"{settings.SITE_URL}/akun/kotak-masuk/"},
                      _("Atur notifikasi e-mail di halaman yang sama.")])


def _mail(user: User, *, subject: str, body: str, mark: list[int]) -> None:
    mail.queue(to=[user.email], subject=subject, body=body, waited_for=False,
               on_sent=lambda: Notification.objects.filter(pk__in=mark).update(emailed_at=timezone.now()))


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@transaction.atomic
def send_digests(now: dt.datetime | None = None) -> int:
    """Daily: one mail per digest user with their unread notifications not yet mailed."""
    now = now or timezone.now()
    sent = 0
    users = User.objects.filter(is_active=True, notification_email=User.EmailChoice.DIGEST).exclude(email="")
    for user in users:
        pending = list(Notification.objects.filter(user=user, read_at__isnull=True, emailed_at__isnull=True)
                       .order_by("created_at")[:100])
        if not pending:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("IKM Relief: %(n)s hal menunggu Anda") % {"n": len(pending)}
            _mail(user, subject=subject, body=_body(pending), mark=[n.pk for n in pending])
        sent += 1
    return sent
