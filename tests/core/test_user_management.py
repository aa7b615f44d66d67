"""Staff accounts without Django admin: the national admin manages coordinators, a coordinator
invites and deactivates the OPD officers and district staff of their province (an invitation
e-mail through a real SMTP server, a one-time link to set the password), nobody grants a scope
wider than their own, and every scope change is in the history."""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from programs.models import Agency
from tests.conftest import wait_for
from tests.core.test_password_reset import _body
from tests.factories import AgencyFactory, UserFactory, region


@pytest.mark.django_db(transaction=True)
def test_coordinator_invites_an_officer_who_sets_a_password_once(client, regions, banten_coordinator, dinsos_banten,
                                                                  smtp_server, celery_worker_thread):
    client.force_login(banten_coordinator)
    response = client.post(reverse("accounts:user-invite"), {
        "username": "ani", "first_name": "Ani", "last_name": "Dinsos", "email": "ani@dinsos.bantenprov.go.id",
        "role": User.Role.PROVINCIAL_OFFICER, "agency": dinsos_banten.pk,
    })
    invited = User.objects.get(username="ani")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:user-detail", args=[invited.pk])
    assert (invited.role, invited.province_id, invited.agency_id) == (User.Role.PROVINCIAL_OFFICER,
                                                                       region("36").pk, dinsos_banten.pk)
    assert not invited.has_usable_password()

    wait_for(lambda: smtp_server.messages, timeout=30)
    (message,) = smtp_server.messages
    assert message["To"] == "ani@dinsos.bantenprov.go.id" and "Undangan" in message["Subject"]
    body = _body(message)
    assert "Dinsos Banten · Banten" in body and "ani" in body
    link = re.search(r"https?://[^/\s]+(/akun/sandi/atur/\S+)", body).group(1)

    client.logout()
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": "Sandi-baru-Ani-2026",
                                             "new_password2": "Sandi-baru-Ani-2026"})
    invited.refresh_from_db()
    assert invited.check_password("Sandi-baru-Ani-2026")
    assert "sudah dipakai atau kedaluwarsa" in client.get(link, follow=True).content.decode()

    history = client.get(reverse("accounts:user-detail", args=[invited.pk]))
    assert history.status_code == 302  # Ani manages no accounts: sent to log in as someone who does
    client.force_login(banten_coordinator)
    page = client.get(reverse("accounts:user-detail", args=[invited.pk])).content.decode()
    assert banten_coordinator.get_full_name() in page and "membuat akun" in page and "Dinsos Banten" in page


@pytest.mark.django_db
@pytest.mark.parametrize("forged", [
    {"role": User.Role.COORDINATOR},                                   # a scope as wide as their own
    {"role": User.Role.NATIONAL_ADMIN},                                 # wider
    {"role": User.Role.DISTRICT_STAFF, "regency": "63.71", "district_office": "ikm"},  # another province
    {"role": User.Role.PROVINCIAL_OFFICER, "agency": "kalsel"},         # another province's OPD
])
def test_a_coordinator_grants_nothing_wider_than_their_own(client, regions, banten_coordinator, forged):
    kalsel = AgencyFactory(name="Disperin Kalsel", province=region("63"))
    data = {"username": "x", "first_name": "X", "email": "x@example.go.id", **forged}
    if data.get("regency"):
        data["regency"] = region(data["regency"]).pk
    if data.get("agency") == "kalsel":
        data["agency"] = kalsel.pk
    client.force_login(banten_coordinator)
    response = client.post(reverse("accounts:user-invite"), data)
    assert response.status_code == 200 and response.context["form"].errors
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_outsiders_manage_no_accounts(client, regions, banten_officer, serang_staff, banten_coordinator,
                                      kalsel_officer):
    for user in (banten_officer, serang_staff):
        client.force_login(user)
        for url in (reverse("accounts:user-list"), reverse("accounts:user-invite"),
                    reverse("accounts:user-detail", args=[banten_officer.pk])):
            assert client.get(url).status_code == 403
    # A coordinator does not see, or touch, another province's staff.
    client.force_login(banten_coordinator)
    assert client.get(reverse("accounts:user-detail", args=[kalsel_officer.pk])).status_code == 404
    assert client.post(reverse("accounts:user-activation", args=[kalsel_officer.pk]), {"active": "0"}
                       ).status_code == 404
    assert User.objects.get(pk=kalsel_officer.pk).is_active


@pytest.mark.django_db
def test_deactivation_and_scope_change_are_in_the_history(client, regions, banten_coordinator, serang_staff):
    client.force_login(banten_coordinator)
    client.post(reverse("accounts:user-detail", args=[serang_staff.pk]), {
        "username": "sari", "first_name": "Sari", "last_name": "", "email": "sari@serangkab.go.id",
        "role": User.Role.DISTRICT_STAFF, "regency": region("36.02").pk, "district_office": "ikm",
    })
    client.post(reverse("accounts:user-activation", args=[serang_staff.pk]), {"active": "0"})
    serang_staff.refresh_from_db()
    assert serang_staff.regency.code == "36.02" and not serang_staff.is_active
    page = client.get(reverse("accounts:user-detail", args=[serang_staff.pk])).content.decode()
    assert "Kabupaten Serang → Kabupaten Lebak" in page
    assert "aktif → nonaktif" in page
    assert page.count(banten_coordinator.get_full_name()) >= 2
    # A deactivated account cannot log in; its past steps keep its name.
    client.logout()
    refused = client.post(reverse("accounts:login"), {"username": "sari", "password": "sandi-uji-123"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_national_admin_appoints_a_coordinator_and_cannot_change_themselves(client, regions, national_admin):
    bappeda = AgencyFactory(name="Bappeda Kalimantan Selatan", short_name="Bappeda Kalsel",
                            kind=Agency.Kind.FINANCE, province=region("63"))
    client.force_login(national_admin)
    response = client.post(reverse("accounts:user-invite"), {
        "username": "koord-kalsel", "first_name": "Koordinator", "email": "bappeda@kalselprov.go.id",
        "role": User.Role.COORDINATOR, "province": region("63").pk, "agency": bappeda.pk,
    })
    assert response.status_code == 302
    coordinator = User.objects.get(username="koord-kalsel")
    assert (coordinator.role, coordinator.province.code) == (User.Role.COORDINATOR, "63")
    own = client.get(reverse("accounts:user-detail", args=[national_admin.pk])).content.decode()
    assert "Nonaktifkan akun" not in own
    assert client.post(reverse("accounts:user-activation", args=[national_admin.pk]), {"active": "0"}
                       ).status_code == 403


@pytest.mark.django_db
def test_a_superuser_account_is_beyond_a_coordinator(regions, banten_coordinator):
    from django.core.exceptions import PermissionDenied

    from accounts import services

    root = UserFactory(username="root", is_superuser=True, role=User.Role.PROVINCIAL_OFFICER,
                       province=region("36"), agency=AgencyFactory())
    with pytest.raises(PermissionDenied):
        services.user_set_active(user=root, actor=banten_coordinator, active=False)
