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
