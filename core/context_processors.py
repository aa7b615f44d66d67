from django.conf import settings


def site(request):
    """Values every template needs; no queries. Staff also learn whether background work
    (imports, "refresh now") is paused because Redis cannot be reached (one cached ping)."""
    from core.health import broker_reachable

    user = getattr(request, "user", None)
    paused = bool(user is not None and user.is_authenticated and not broker_reachable())
    return {"SITE_NAME": "IKM Relief", "DEBUG": settings.DEBUG, "BACKGROUND_PAUSED": paused}
