import re
from urllib.parse import unquote

from django.conf import settings
from django.http import JsonResponse

from .context import reset_request_id, set_request_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


class RequestIdMiddleware:
    """Give each request an id (or keep a well-formed X-Request-ID from the proxy) and echo it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Only a trusted reverse proxy may name the request; a client could otherwise plant ids
        # in the audit log.
        incoming = request.headers.get("X-Request-ID", "") if settings.SECURE_PROXY_SSL_HEADER else ""
        token = set_request_id(incoming if _SAFE_ID.match(incoming) else None)
        try:
            from .context import current_request_id

            request.request_id = current_request_id()
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            return response
        finally:
            reset_request_id(token)


class RejectNulMiddleware:
    """A NUL character in the path or query string is never meaningful, and PostgreSQL refuses it
    in text: answer 400 at the door instead of failing deep inside a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return JsonResponse({"code": "invalid", "message": "请求地址中含有空字符（NUL）"}, status=400)
        return self.get_response(request)
