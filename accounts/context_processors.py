from django.utils.functional import SimpleLazyObject

from accounts.notifications import unread_count


def notifications(request):
    """The signed-in user's unread count in the navigation: one indexed COUNT, only on pages that
    show it (lazy)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"UNREAD_NOTIFICATIONS": 0}
    return {"UNREAD_NOTIFICATIONS": SimpleLazyObject(lambda: unread_count(user))}
