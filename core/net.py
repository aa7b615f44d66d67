"""The client's address, the same way for the login lockout and the API throttle."""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, or with ``NUM_PROXIES`` trusted proxies the address the nearest of them saw.

    A client can put anything into X-Forwarded-For; only the entries our own proxies appended
    (the last ``NUM_PROXIES``) are believed — the rule DRF's throttle applies with the same setting.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    return addresses[-min(proxies, len(addresses))] if addresses else remote
