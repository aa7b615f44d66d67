"""Account forms: the password reset that sends its mail through the worker."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm
from django.template import loader

from core.jobs import enqueue_on_commit


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form (same tokens, same "no such e-mail" silence), mail sent by Celery.

    If Redis cannot take the message the reset would be lost, so the mail is sent from the
    request instead: a person waiting for a reset link must get it."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        from accounts.tasks import send_email

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)

        def send_now():
            send_email.run(to=[to_email], subject=subject, body=body)

        enqueue_on_commit(send_email, on_failure=send_now, to=[to_email], subject=subject, body=body)
