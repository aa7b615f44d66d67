"""Mail is sent by a Celery worker, after the transaction that caused it commits. Thin: each task
calls the work in ``accounts.mail`` or ``accounts.notifications``."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts import mail
from accounts.notifications import send_digests

log = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_email(*, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    """One message (``accounts.mail.send``); SMTP failures are retried."""
    return mail.send(to=to, subject=subject, body=body, html=html)


@shared_task
def send_notification_digests() -> int:
    """Every morning: one mail per user who chose the daily digest."""
    return send_digests()
