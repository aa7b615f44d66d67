"""Mail is sent by a Celery worker, after the transaction that caused it commits."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

log = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_email(*, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    """One message through Django's mail framework (EMAIL_URL); SMTP failures are retried."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()


@shared_task
def send_notification_digests() -> int:
    """Every morning: one mail per user who chose the daily digest."""
    from accounts.notifications import send_digests

    return send_digests()
