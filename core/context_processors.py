from django.conf import settings


def site(request):
    """Values every template needs; no queries."""
    return {"SITE_NAME": "IKM Relief", "DEBUG": settings.DEBUG}
