"""Every kind of e-mail the product sends, through a real SMTP server from a real Celery worker,
with the site on another address than the default (issue 24): every link starts with SITE_URL and
its page answers 200 (for its recipient, signed in where the page needs it)."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts import keys
from accounts.models import Notification, User
from accounts.notifications import notify, send_digests
from accounts.services import user_invite
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "http://127.0.0.1:8123"


def _body(message) -> str:
    part = message.get_payload(0) if message.is_multipart() else message
    return part.get_payload(decode=True).decode()


def test_every_email_links_to_site_url_and_each_link_answers(client, settings, regions, disperindag_banten,
                                                             smtp_server, celery_worker_thread):
    settings.SITE_URL = SITE
    coordinator = User.objects.create_user("bpkad-uji", email="bpkad@bantenprov.go.id", password="x-123456789",
                                           role=User.Role.COORDINATOR, province=regions["36"])
    each = User.objects.create_user("rina", email="rina@banten.go.id", password="Sandi-lama-2026",
                                    role=User.Role.PROVINCIAL_OFFICER, province=regions["36"],
                                    agency=disperindag_banten)
    digest = User.objects.create_user("sari", email="sari@serangkab.go.id", password="x-123456789",
                                      role=User.Role.DISTRICT_STAFF, province=regions["36"],
                                      regency=regions["36.04"], district_office=User.Office.IKM,
                                      notification_email=User.EmailChoice.DIGEST)
    # 1. an invitation; 2. a notification mailed at once; 3. the daily digest;
    user_invite(user=User(username="ani", email="ani@dinsos.bantenprov.go.id", role=User.Role.DISTRICT_STAFF,
                          regency=regions["36.04"], district_office=User.Office.IKM), actor=coordinator)
    notify(users=[each, digest], kind=Notification.Kind.RETURNED, message="Usulan dikembalikan",
           url=reverse("recipients:application-list"))
    send_digests()
    # 4. a password changed (the notice to its owner); 5. a new address (its confirmation link);
    keys.password_changed(user=coordinator, by_reset=False)
    keys.email_change_request(user=each, new_email="rina.baru@banten.go.id", password="Sandi-lama-2026")
    # 6. a password reset asked for on the site, through a request to another host name.
    client.post(reverse("accounts:password-reset"), {"email": "sari@serangkab.go.id"}, HTTP_HOST="localhost")

    expected = {"ani@dinsos.bantenprov.go.id": 1, "rina@banten.go.id": 2, "sari@serangkab.go.id": 2,
                "bpkad@bantenprov.go.id": 1, "rina.baru@banten.go.id": 1}
    wait_for(lambda: len(smtp_server.messages) >= sum(expected.values()), timeout=60)
    received = {}
    followed = []
    for message in smtp_server.messages:
        to, body = message["To"], _body(message)
        received[to] = received.get(to, 0) + 1
        links = re.findall(r"https?://[^\s<>\"]+", body)
        for link in links:
            assert link.startswith(SITE + "/"), (to, link)
            parts = urlsplit(link)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            owner = User.objects.filter(email__iexact=to).first()
            client.logout()
            if owner is not None and owner.has_usable_password() and "/sandi/atur/" not in path:
                client.force_login(owner)
            response = client.get(path, follow=True)
            assert response.status_code == 200, (to, link, response.status_code)
            followed.append((to, parts.path))
    assert received == expected
    # Each kind had its link: the invitation and the reset (set a password), the notification and
    # the digest (the page and the inbox), the password notice, the new address's confirmation.
    paths = {(to, path.split("/")[2] if path.count("/") > 2 else path) for to, path in followed}
    assert ("ani@dinsos.bantenprov.go.id", "sandi") in paths and ("sari@serangkab.go.id", "sandi") in paths
    assert {("rina@banten.go.id", "kotak-masuk"), ("sari@serangkab.go.id", "kotak-masuk")} <= paths
    assert any(to == "bpkad@bantenprov.go.id" for to, _ in followed)
    assert any(to == "rina.baru@banten.go.id" for to, _ in followed)
