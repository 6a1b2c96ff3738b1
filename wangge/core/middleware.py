import json
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


def _nul_at(value, path: str = "") -> str | None:
    """Where in parsed JSON a NUL character sits ("" for the top level), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return path
        found = _nul_at(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


class RejectNulMiddleware:
    """A NUL character in the path, the query string or a JSON body is never meaningful, and
    PostgreSQL refuses it in text: answer 400 at the door (naming the field) instead of failing
    deep inside a query. Form posts need nothing here: Django's form fields refuse NUL already."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return JsonResponse({"code": "invalid", "message": "请求地址中含有空字符（NUL）"}, status=400)
        # JSON can carry NUL only as the escape \u0000: parse only the bodies that contain it.
        if request.content_type == "application/json" and b"\\u0000" in request.body:
            try:
                field = _nul_at(json.loads(request.body))
            except ValueError:
                field = None  # not JSON: the endpoint says so
            if field is not None:
                return JsonResponse(
                    {"code": "invalid", "message": "请求内容中含有空字符（NUL）", "field": field or None}, status=400
                )
        return self.get_response(request)
