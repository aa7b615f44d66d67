import subprocess
import sys

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from core.models import Region
from core.money import rupiah, rupiah_short, rupiah_words
from ikmrelief.env import EnvError, parse_database_url
from tests.conftest import BUDGET_QUERIES

pytestmark = pytest.mark.django_db


def test_load_regions_twice_keeps_38_provinces_and_514_regencies(regions):
    call_command("load_regions")
    call_command("load_regions")
    assert Region.objects.provinces().count() == 38
    assert Region.objects.regencies().count() == 514
    assert Region.objects.get(code="36").name == "Banten"
    serang = Region.objects.get(code="36.04")
    assert (serang.name, serang.kind, serang.parent.code) == ("Kabupaten Serang", "kabupaten", "36")
    assert Region.objects.get(code="36.73").kind == "kota"


def test_home_lists_every_province_with_a_fixed_number_of_queries(client, regions, django_assert_num_queries):
    client.get(reverse("home"))
    with django_assert_num_queries(9 + BUDGET_QUERIES):  # the map: provinces, their money, their groups
        response = client.get(reverse("home") + "?tahun=2021")  # a new URL: not served from the cache
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('<tr><td data-label="Kode">') == 38
    assert "Banten" in body and "Kalimantan Selatan" in body and "Papua Pegunungan" in body


def test_home_refuses_post(client, regions):
    assert client.post(reverse("home")).status_code == 405


def test_unknown_page_uses_styled_404(client, regions):
    response = client.get("/tidak-ada/")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.content.decode()


def test_dashboard_requires_login(client, regions):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_login_with_demo_persona_lands_on_dashboard(client, banten_officer):
    response = client.post(reverse("accounts:login"), {"username": "rina", "password": "sandi-uji-123"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert "Disperindag Banten · Banten" in response.content.decode()


def test_wrong_password_shows_indonesian_error(client, banten_officer):
    response = client.post(reverse("accounts:login"), {"username": "rina", "password": "salah"})
    assert response.status_code == 200
    page = response.content.decode()
    # The glossary's words (locale/id overrides Django's "sandi"), and the field named once.
    assert "Nama pengguna atau kata sandi salah." in page and "nama pengguna nama pengguna" not in page.lower()


@pytest.mark.parametrize(
    ("amount", "full", "words", "short"),
    [
        (20_000_000_000, "Rp20.000.000.000", "Rp20 miliar", "Rp20 M"),
        (180_000_000, "Rp180.000.000", "Rp180 juta", "Rp180 jt"),
        (1_250_000_000, "Rp1.250.000.000", "Rp1,25 miliar", "Rp1,3 M"),
        (50_000, "Rp50.000", "Rp50 ribu", "Rp50 rb"),
        (999_999_999, "Rp999.999.999", "Rp1 miliar", "Rp1 M"),
        (750, "Rp750", "Rp750", "Rp750"),
        (0, "Rp0", "Rp0", "Rp0"),
    ],
)
def test_rupiah_as_people_say_it(amount, full, words, short):
    assert (rupiah(amount), rupiah_words(amount), rupiah_short(amount)) == (full, words, short)


def test_rupiah_in_english():
    from django.utils import translation

    with translation.override("en"):
        assert rupiah(180_000_000) == "Rp180,000,000"
        assert rupiah_words(20_000_000_000) == "Rp20 billion"


def test_database_url_must_be_postgresql():
    with pytest.raises(EnvError, match="DATABASE_URL"):
        parse_database_url("DATABASE_URL", "mysql://root@localhost/ikm")
    socket = parse_database_url("DATABASE_URL", "postgresql://postgres@/ikmrelief?host=/tmp/pg")
    assert (socket["HOST"], socket["NAME"], socket["USER"]) == ("/tmp/pg", "ikmrelief", "postgres")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DATABASE_URL", "mysql://root@localhost/ikm"), ("DJANGO_DEBUG", "ya"), ("PAGINATE_BY", "banyak")],
)
def test_bad_setting_stops_with_one_clear_line(variable, value):
    env = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "REDIS_URL": settings.REDIS_URL,
           "DATABASE_URL": settings.DATABASE_URL, variable: value}
    result = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True,
                            cwd=settings.BASE_DIR)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and "Traceback" not in result.stderr


def test_unreachable_database_gives_one_line(tmp_path):
    from ikmrelief import launcher

    env = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "REDIS_URL": settings.REDIS_URL,
           "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    code = "from ikmrelief import launcher; launcher.check_database(__import__('os').environ.copy())"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            cwd=settings.BASE_DIR)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "tidak dapat terhubung ke PostgreSQL" in result.stderr
    assert launcher.DB_NAME == "ikmrelief"


def test_docker_compose_matches_settings():
    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    assert "gunicorn ikmrelief.wsgi" in services["web"]["command"]
    assert "celery -A ikmrelief worker" in services["worker"]["command"]
    assert "celery -A ikmrelief beat" in services["beat"]["command"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert {"postgres", "redis"} <= set(services[name]["depends_on"])
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name]
    env_example = (settings.BASE_DIR / ".env.example").read_text()
    for variable in ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS"):
        assert f"{variable}=" in env_example


def test_env_example_lists_every_variable_settings_read():
    import re

    source = (settings.BASE_DIR / "ikmrelief" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source))
    listed = set(re.findall(r"^([A-Z_]+)=", (settings.BASE_DIR / ".env.example").read_text(), re.M))
    assert read, "settings read no variables?"
    assert read <= listed, f"missing from .env.example: {sorted(read - listed)}"


def test_indonesian_unless_english_is_chosen(client, regions):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="id"' in body and "Beranda" in body
    response = client.get(reverse("core:set-language", args=["en"]) + "?next=https://evil.example/")
    assert response["Location"] == "/"
    body = client.get("/").content.decode()
    assert 'lang="en"' in body and "Home" in body


@pytest.mark.parametrize(("username", "sections"), [
    ("banten", ["waiting", "absorption"]), ("serang", ["waiting"]), ("admin", ["national-absorption", "rollup-health"]),
])
def test_each_role_lands_on_what_waits_for_it(client, regions, username, sections, django_assert_max_num_queries):
    from django.core.management import call_command

    from accounts.models import User

    call_command("load_demo", verbosity=0)
    call_command("rollup", verbosity=0)
    client.force_login(User.objects.get(username=username))
    with django_assert_max_num_queries(14):  # fixed: counts are GROUP BYs, budgets from the rollup
        body = client.get(reverse("dashboard")).content.decode()
    for section in sections:
        assert f'data-testid="{section}"' in body
    if username == "banten":
        # Demo applications wait for the province, shown by their state's label.
        assert "Lolos cek lapangan" in body or "Disetujui provinsi" in body
    if username == "admin":
        assert "Banten" in body and "Hitung ulang sekarang" in body


def test_every_help_text_a_field_points_to_exists(client, regions, banten_officer, banten_coordinator, serang_staff,
                                                  national_admin):
    """Screen readers read a field's help through aria-describedby; its target must be on the page."""
    import re

    for user, url in ((banten_coordinator, reverse("programs:ceiling-create")),
                      (banten_coordinator, reverse("accounts:user-invite")),
                      (national_admin, reverse("accounts:user-invite")), (banten_officer,
                      reverse("programs:program-create")), (serang_staff, reverse("recipients:group-create")),
                      (serang_staff, reverse("recipients:import-upload"))):
        client.force_login(user)
        body = client.get(url).content.decode()
        targets = re.findall(r'aria-describedby="([^"]+)"', body)
        assert targets, url
        for target in targets:
            for one in target.split():
                assert f'id="{one}"' in body, (url, one)
