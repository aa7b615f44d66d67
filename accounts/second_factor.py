"""Two-factor sign-in: who needs it and the middleware that holds every staff page behind it.

After the password, a staff account proves a second factor in the same session: a code from
its authenticator app (TOTP, django-otp) or one of its single-use recovery codes. An account
with no authenticator yet is taken to enrol one first. Public pages need nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.personas import PERSONAS

# Pages behind a staff sign-in; everything else is public (or the sign-in itself).
STAFF_PREFIXES = ("/kelola/", "/dasbor/", "/akun/", "/admin/")
# Within them, what a half-signed-in user may still reach: the second step, leaving, and the
# password pages that work without a session.
OPEN_PREFIXES = ("/akun/masuk/", "/akun/keluar/", "/akun/dua-langkah/", "/akun/sandi/lupa/",
                 "/akun/sandi/atur/", "/akun/e-mail/konfirmasi/")
DEMO_USERNAMES = frozenset(p.username for p in PERSONAS)


def requires_second_factor(user) -> bool:
    """Every staff role (each sees a full NIK, moves money or manages accounts), unless turned off
    (TWO_FACTOR_REQUIRED) or a demo login while DEMO_SKIP_TWO_FACTOR is on."""
    if not settings.TWO_FACTOR_REQUIRED or not getattr(user, "is_authenticated", False):
        return False
    if settings.DEMO_SKIP_TWO_FACTOR and user.username in DEMO_USERNAMES and (user.email or "").endswith(
            "@ikmrelief.example"):
        return False
    return bool(user.role or user.is_superuser)


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def confirmed_devices(user):
    return list(devices_for_user(user, confirmed=True))


class SecondFactorMiddleware:
    """A staff page asked for by a user who signed in with a password only is sent to the second
    step (or to enrol an authenticator), with ``next`` kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if (path.startswith(STAFF_PREFIXES) and not path.startswith(OPEN_PREFIXES)
                and requires_second_factor(request.user) and not request.user.is_verified()):
            step = "accounts:second-factor" if has_authenticator(request.user) else "accounts:second-factor-setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
