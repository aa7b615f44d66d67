"""Mail: rendered in the site's language, sent by the Celery worker after the transaction that
caused it commits. A mail a person waits for (an invitation, a reset or confirmation link) goes
from the request itself when the broker cannot take it; a notification waits for the next try.

The task is named, not imported (``core.jobs``): ``accounts.tasks`` imports this module, never
the other way round."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils import translation

from core.jobs import enqueue_on_commit

SEND_TASK = "accounts.tasks.send_email"


def send(*, to: list[str], subject: str, body: str, html: str | None = None) -> int:
    """One message through Django's mail framework (EMAIL_URL), now."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()


def queue(*, to: list[str], subject: str, body: str, on_sent=None, waited_for: bool = True) -> None:
    """``send`` from the worker after commit; from here when the broker is down and a person is
    ``waited_for`` the message."""
    on_failure = (lambda: send(to=to, subject=subject, body=body)) if waited_for else None
    enqueue_on_commit(SEND_TASK, on_sent=on_sent, on_failure=on_failure, to=to, subject=subject, body=body)


def render(subject_template: str, body_template: str, context: dict) -> tuple[str, str]:
    """(subject on one line, body) from two templates, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = "".join(loader.render_to_string(subject_template, context).splitlines())
        body = loader.render_to_string(body_template, context)
    return subject, body
