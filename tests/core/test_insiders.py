"""Insiders and abusers: the national admin cannot read person data or widen its own rights
through Django admin; logins are throttled before hashing; headers hold on every response."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client, override_settings

from accounts.models import User
from core.admin import touches_personal_data
from recipients.models import RecipientGroup

pytestmark = pytest.mark.django_db

LOOKUPS = ["exact", "iexact", "startswith", "istartswith", "contains", "icontains", "endswith", "regex", "in",
           "gt", "lt", "isnull"]


@pytest.fixture
def demo(regions):
    call_command("load_demo", verbosity=0)


def _person_lookups():
    """Every lookup on every person-data field reachable from each registered admin."""
    for model, model_admin in admin.site._registry.items():
        paths = list(getattr(model, "PERSONAL_FIELDS", ()))
        for field in model._meta.get_fields():
            related = getattr(field, "related_model", None)
            if related is not None and getattr(related, "PERSONAL_FIELDS", None):
                paths += [f"{field.name}__{p}" for p in related.PERSONAL_FIELDS]
                for deeper in related._meta.get_fields():
                    far = getattr(deeper, "related_model", None)
                    if far is not None and getattr(far, "PERSONAL_FIELDS", None) and far is not model:
                        paths += [f"{field.name}__{deeper.name}__{p}" for p in far.PERSONAL_FIELDS]
        for path in paths:
            yield model, model_admin, path


def test_no_admin_changelist_answers_a_lookup_on_person_data(client, demo):
    client.force_login(User.objects.get(username="admin"))
    group = RecipientGroup.objects.exclude(leader_nik="").first()
    walked = 0
    for model, _admin, path in _person_lookups():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for lookup in LOOKUPS:
            value = group.leader_nik[:1] if lookup != "isnull" else "0"
            response = client.get(f"{url}?{path}__{lookup}={value}")
            walked += 1
            assert response.status_code == 400, (url, path, lookup, response.status_code)
            assert group.leader_nik not in response.content.decode()
    assert walked >= 3 * len(LOOKUPS)  # groups, applications and more reach person data


def test_the_old_nik_oracle_is_closed(client, demo):
    client.force_login(User.objects.get(username="admin"))
    group = RecipientGroup.objects.exclude(leader_nik="").first()
    for probe in (f"id__exact={group.pk}&leader_nik__startswith={group.leader_nik[0]}",
                  f"contact_phone={group.contact_phone}", "leader_name__icontains=a"):
        assert client.get(f"/admin/recipients/recipientgroup/?{probe}").status_code == 400
    # The changelist's own filters still work, a related one (the allocation's year) too.
    assert client.get("/admin/recipients/recipientgroup/?sector__exact=masks").status_code == 200
    page = client.get("/admin/programs/allocation/?ceiling__fiscal_year=2020")
    rows = page.content.decode().split('id="result_list"')[1].split("</table>")[0]
    assert page.status_code == 200 and " 2020 · " in rows and " 2021 · " not in rows  # the ceilings shown
    assert client.get("/admin/programs/allocation/?ceiling__amount__gt=1").status_code == 400


def test_no_admin_lists_searches_or_shows_person_data(rf, demo):
    request = rf.get("/admin/")
    request.user = User.objects.get(username="admin")
    for model, model_admin in admin.site._registry.items():
        shown = [*model_admin.get_list_display(request), *model_admin.get_search_fields(request),
                 *[f if isinstance(f, str) else f[0] for f in model_admin.get_list_filter(request)
                   if isinstance(f, str | tuple)]]
        fields = model_admin.get_fields(request) if not hasattr(model_admin, "fieldsets") else [
            f for _name, opts in model_admin.get_fieldsets(request) for f in opts["fields"]]
        for name in [*shown, *fields]:
            if isinstance(name, str):
                assert not touches_personal_data(model, name.lstrip("^=@")), (model, name)


def test_history_admin_is_gone(client, demo):
    client.force_login(User.objects.get(username="admin"))
    assert client.get("/admin/pghistory/events/").status_code == 404


def test_admin_cannot_make_itself_superuser_or_change_its_own_role(client, demo):
    me = User.objects.get(username="admin")
    client.force_login(me)
    page = client.get(f"/admin/accounts/user/{me.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="role"' not in page
    response = client.post(f"/admin/accounts/user/{me.pk}/change/", {
        "username": "admin", "first_name": "Admin", "last_name": "x", "email": "",
        "is_superuser": "on", "role": "province", "province": User.objects.get(username="banten").province_id,
        "last_login_0": "", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
    })
    me.refresh_from_db()
    assert response.status_code in (200, 302)
    assert not me.is_superuser and me.role == User.Role.NATIONAL_ADMIN and me.province_id is None


def test_admin_cannot_change_a_superuser_nor_grant_superuser(client, demo):
    root = User.objects.create_superuser("root", password="x-long-enough-123")
    client.force_login(User.objects.get(username="admin"))
    page = client.get(f"/admin/accounts/user/{root.pk}/change/")
    assert page.status_code == 200 and 'name="username"' not in page.content.decode()  # view only
    response = client.post(f"/admin/accounts/user/{root.pk}/change/", {"username": "root2"})
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.username == "root"
    banten = User.objects.get(username="banten")
    client.post(f"/admin/accounts/user/{banten.pk}/change/", {"username": "banten", "is_superuser": "on",
                                                             "role": "province", "province": banten.province_id,
                                                             "is_active": "on"})
    banten.refresh_from_db()
    assert not banten.is_superuser and not banten.is_staff


# --- Login throttle ------------------------------------------------------------------------------------


def _login(client, password, address="203.0.113.7", **headers):
    return client.post("/akun/masuk/", {"username": "banten", "password": password}, REMOTE_ADDR=address, **headers)


def test_wrong_passwords_lock_the_username_from_that_address_before_the_right_one_works(client, demo, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "salah").status_code == 200
    assert _login(client, "salah").status_code == 429  # the limit-th failure locks
    locked = _login(client, "ikmrelief-demo")
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan masuk" in locked.content.decode()
    assert "koordinator" in locked.content.decode()  # who can unlock it, and a page that can
    assert "_auth_user_id" not in client.session
    # Another address, same account: the owner still gets in (anyone can type a known username,
    # so a lockout per username alone let anyone lock anyone out).
    assert _login(client, "ikmrelief-demo", address="198.51.100.9").status_code == 302


def test_a_coordinator_unlocks_a_locked_officer_and_it_is_recorded(client, demo, settings):
    from accounts.models import AccountEvent

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "salah")
    assert _login(client, "ikmrelief-demo").status_code == 429
    banten = User.objects.get(username="banten")
    coordinator = Client()
    coordinator.force_login(User.objects.get(username="bpkad"))
    page = coordinator.get(f"/akun/pengguna/{banten.pk}/").content.decode()
    assert "Buka kunci masuk" in page
    assert coordinator.post(f"/akun/pengguna/{banten.pk}/buka-kunci/").status_code == 302
    assert _login(Client(), "ikmrelief-demo").status_code == 302
    event = AccountEvent.objects.get(user=banten, kind=AccountEvent.Kind.UNLOCKED)
    assert event.actor.username == "bpkad"
    # An officer of the same province manages no accounts: the page is not theirs to find.
    other = Client()
    other.force_login(User.objects.get(username="dinsos"))
    assert other.post(f"/akun/pengguna/{banten.pk}/buka-kunci/").status_code == 404


def test_one_office_behind_one_address_is_not_locked_by_its_typos(client, demo, settings):
    for i in range(settings.AXES_FAILURE_LIMIT + 2):
        client.post("/akun/masuk/", {"username": f"orang{i}", "password": "x"}, REMOTE_ADDR="203.0.113.8")
    assert client.post("/akun/masuk/", {"username": "serang", "password": "ikmrelief-demo"},
                       REMOTE_ADDR="203.0.113.8").status_code == 302


def test_one_address_trying_many_accounts_is_locked(client, demo, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 15
    for i in range(15):
        client.post("/akun/masuk/", {"username": f"orang{i}", "password": "x"}, REMOTE_ADDR="203.0.113.8")
    assert client.post("/akun/masuk/", {"username": "serang", "password": "ikmrelief-demo"},
                       REMOTE_ADDR="203.0.113.8").status_code == 429


def test_a_forged_forwarded_for_does_not_escape_the_lockout(client, demo, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 15
    for i in range(15):
        client.post("/akun/masuk/", {"username": f"orang{i}", "password": "x"}, REMOTE_ADDR="203.0.113.9",
                    HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    assert client.post("/akun/masuk/", {"username": "serang", "password": "ikmrelief-demo"},
                       REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_api_throttle_keys_on_the_real_address(rf):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    assert api_settings.NUM_PROXIES == 0
    throttle = AnonRateThrottle()
    idents = {throttle.get_ident(rf.get("/api/v1/", REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR=forged))
              for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3")}
    assert idents == {"203.0.113.1"}


@override_settings(NUM_PROXIES=1)
def test_behind_one_proxy_the_proxys_view_of_the_client_counts(rf):
    from core.net import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
    assert client_ip(request) == "203.0.113.5"


# --- Headers ---------------------------------------------------------------------------------------------


def test_strict_csp_on_pages_and_no_inline_script_or_style(client, demo):
    for url in ("/", "/provinsi/36/", "/data/", "/akun/masuk/"):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        body = response.content.decode()
        assert " style=" not in body
        for tag in body.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, (url, opening)


def test_api_docs_load_nothing_from_outside_and_carry_a_language(client, regions):
    for url in ("/api/docs/", "/api/redoc/"):
        body = client.get(url).content.decode()
        assert "<html lang=" in body
        assert "googleapis" not in body and "https://" not in body.split("</head>")[0]


def test_staff_responses_are_never_stored(client, demo):
    client.force_login(User.objects.get(username="serang"))
    for url in ("/dasbor/", "/kelola/kelompok/", "/kelola/kelompok/ekspor.csv", "/provinsi/36/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url
        assert "public" not in response["Cache-Control"]


def test_production_settings_pass_check_deploy(monkeypatch):
    import subprocess
    import sys

    from django.conf import settings

    env = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 50 + "Xy9!", "DJANGO_SECURE_COOKIES": "1",
           "DJANGO_SECURE_SSL_REDIRECT": "1", "DJANGO_SECURE_HSTS_SECONDS": "31536000",
           "DJANGO_SECURE_HSTS_PRELOAD": "1", "DJANGO_ALLOWED_HOSTS": "ikmrelief.example.go.id",
           "PATH": "/usr/bin:/bin"}
    from ikmrelief_verify.note import Signer

    without_key = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                                 cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert without_key.returncode != 0 and "ledger.E001" in without_key.stdout + without_key.stderr
    env["LEDGER_SIGNING_KEY"] = Signer.generate("ikmrelief.example.go.id/buku-besar").key
    for name in ("DATABASE_URL", "REDIS_URL"):
        if name in __import__("os").environ:
            env[name] = __import__("os").environ[name]
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
