from django.conf import settings

from core.health import broker_reachable


def site(request):
    """Values every template needs. Staff also learn whether background work (imports, "refresh
    now") is paused because Redis cannot be reached (one cached ping)."""
    user = getattr(request, "user", None)
    staff = bool(user is not None and user.is_authenticated)
    return {"SITE_NAME": "IKM Relief", "DEBUG": settings.DEBUG,
            "BACKGROUND_PAUSED": staff and not broker_reachable()}
