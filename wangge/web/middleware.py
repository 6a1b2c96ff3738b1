from django.shortcuts import render

from wangge.core.errors import DomainError


class DomainErrorMiddleware:
    """Pages raise the same domain errors as the API; turn them into a readable page with the
    right status (404 for anything missing or out of scope) instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return render(request, "web/error.html", {"error": exception}, status=exception.status)
        return None
