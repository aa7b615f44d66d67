"""Password reset from the login page: a one-time link by e-mail, sent by a real Celery worker
through a real SMTP server, then used once."""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _body(message) -> str:
    part = message.get_payload(decode=True) if not message.is_multipart() else message.get_payload(0).get_payload(
        decode=True)
    return part.decode()


def test_forgotten_password_by_email_link_used_once(client, regions, smtp_server, celery_worker_thread):
    user = User.objects.create_user("rina", email="rina@disperindag.bantenprov.go.id", password="lama-sekali-123",
                                    role=User.Role.DISTRICT_STAFF, province=regions["36"], regency=regions["36.04"],
                                    district_office=User.Office.IKM)
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("accounts:password-reset") in login_page
    response = client.post(reverse("accounts:password-reset"), {"email": "rina@disperindag.bantenprov.go.id"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password-reset-sent")
    wait_for(lambda: smtp_server.messages, timeout=30)
    (message,) = smtp_server.messages
    assert message["To"] == "rina@disperindag.bantenprov.go.id"
    assert "atur kata sandi baru" in message["Subject"]
    link = re.search(r"https?://[^/\s]+(/akun/sandi/atur/\S+)", _body(message)).group(1)
    form = client.get(link, follow=True)
    assert "Atur kata sandi baru" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Baru-dan-panjang-2026",
                                                    "new_password2": "Baru-dan-panjang-2026"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Baru-dan-panjang-2026")
    again = client.get(link, follow=True).content.decode()
    assert "sudah dipakai atau kedaluwarsa" in again


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, regions, smtp_server, celery_worker_thread):
    User.objects.create_user("asep", email="asep@lebakkab.go.id", password="lama-sekali-123")
    unknown = client.post(reverse("accounts:password-reset"), {"email": "bukan-petugas@example.com"})
    known = client.post(reverse("accounts:password-reset"), {"email": "asep@lebakkab.go.id"})
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    wait_for(lambda: smtp_server.messages, timeout=30)
    assert [m["To"] for m in smtp_server.messages] == ["asep@lebakkab.go.id"]
