from django.conf import settings
from django.utils import translation


class LanguageMiddleware:
    """Chinese unless the user chose otherwise. Unlike Django's LocaleMiddleware this ignores the
    browser's Accept-Language: a shared office PC with an English browser still opens in Chinese,
    and the choice made with the language switch (a cookie) is the only thing that changes it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in self.available:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
