from django.conf import settings


def site(request):
    """Values every template needs. Staff also learn whether background work (imports, "refresh
    now") is paused because Redis cannot be reached (one cached ping), and their unread count."""
    from django.utils.functional import SimpleLazyObject

    from accounts.notifications import unread_count
    from core.health import broker_reachable

    user = getattr(request, "user", None)
    staff = bool(user is not None and user.is_authenticated)
    paused = staff and not broker_reachable()
    # The unread count costs one indexed COUNT, only on pages that show the navigation.
    unread = SimpleLazyObject(lambda: unread_count(user)) if staff else 0
    return {"SITE_NAME": "IKM Relief", "DEBUG": settings.DEBUG, "BACKGROUND_PAUSED": paused,
            "UNREAD_NOTIFICATIONS": unread}
