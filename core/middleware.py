from django.utils.cache import patch_cache_control

from core.params import CONTROL_CHARACTERS, CONTROL_CHARACTERS_IN_TEXT
from core.views import bad_request


class ChosenLanguageOnlyMiddleware:
    """Indonesian unless the user chose English with the language switch.

    Many Indonesian officers run English-language browsers; their Accept-Language header
    must not switch the interface. The choice is kept in the language cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RejectControlCharactersMiddleware:
    """Answer 400 to a path, query string or form field that carries NUL or a control character.

    PostgreSQL refuses NUL in a string literal and a header refuses a newline, so such a value
    would otherwise fail deep inside a view as a 500. Tab, LF and CR stay allowed in form
    fields (textareas); nowhere else. Runs after the language is chosen, so the page explaining
    the refusal is in the user's language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = CONTROL_CHARACTERS.search(request.path) or any(
            CONTROL_CHARACTERS.search(key) or CONTROL_CHARACTERS.search(value)
            for key, values in request.GET.lists() for value in values
        )
        if not bad and request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"
        ):
            bad = any(
                CONTROL_CHARACTERS.search(key) or CONTROL_CHARACTERS_IN_TEXT.search(value)
                for key, values in request.POST.lists() for value in values
            )
        if bad:
            return bad_request(request)
        return self.get_response(request)


class PrivateNoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every response to a logged-in user.

    Staff pages, exports and evidence carry personal data; no browser cache or proxy may keep
    them. Public pages set their own headers (``core.cache.public_page``) for anonymous users.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if "Cache-Control" in response:
                del response["Cache-Control"]
            patch_cache_control(response, private=True, no_store=True)
        return response
