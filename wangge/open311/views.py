"""Open311 GeoReport v2 endpoints at /open311/v2/ (JSON and XML). Reads of requests need an
api_key here (cases may carry personal details), and a key sees only its own region."""

import math

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from wangge.cases.models import FINISHED, Case, CaseEvent, Category, CategoryKind, Channel, Status
from wangge.core.errors import DomainError, Forbidden
from wangge.regions.models import Region

from . import idempotency, keys, services
from .formats import FORMATS, error, render, utc

CHANGESET = "2026-01-01T00:00:00Z"


def _endpoint(view):
    """Unknown format → 404; domain refusals → the spec's error list with the right status."""

    def wrapped(request: HttpRequest, *args, fmt: str, **kwargs):
        if fmt not in FORMATS:
            return error("json", 404, f"format {fmt} is not supported; use json or xml")
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except DomainError as exc:
            field = f"{exc.field}: " if exc.field else ""
            return error(fmt, exc.status, f"{field}{exc.message}")

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _param(request, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return (source.get(name) or request.GET.get(name) or "").strip()


def _key(request, *, required: bool):
    raw = _param(request, "api_key")
    key = keys.key_check(raw)
    if key is None and (required or raw):
        raise Forbidden("api_key is missing or invalid / 缺少或无效的 api_key", field="api_key")
    return key


def _need_key(request):
    return _key(request, required=True)


def _jurisdiction(request) -> Region | None:
    code = _param(request, "jurisdiction_id")
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise DomainError(f"jurisdiction_id {code} not found", field="jurisdiction_id")
    return region


# ---- shapes ------------------------------------------------------------------------------------


def _service(category: Category) -> dict:
    kind = str(CategoryKind(category.kind).label)
    return {
        "service_code": str(category.code),
        "service_name": category.name,
        "description": category.closing_condition or f"{category.name}（{kind}，时限{category.limit_label}）",
        "metadata": False,
        "type": "realtime",
        "keywords": kind,
        "group": category.parent.name if category.parent_id else kind,
    }


# A door-knock visit's case carries the visited household's address (building, unit, room): a
# resident's home, written down by staff, not a place the resident chose to publish. Partner
# clients get the point and the text, not the door.
HOME_ADDRESS_CHANNELS = frozenset({Channel.VISIT})


def _request(case: Case) -> dict:
    finished = case.status in FINISHED
    return {
        "service_request_id": str(case.number),
        "status": "closed" if finished else "open",
        "status_notes": str(Status(case.status).label),
        "service_name": case.category.name if case.category_id else "",
        "service_code": str(case.category.code) if case.category_id else "",
        "description": case.text,
        "agency_responsible": case.lead_department.name if case.lead_department_id else "",
        "service_notice": "",
        "requested_datetime": utc(case.reported_at),
        "updated_datetime": utc(case.updated_at),
        "expected_datetime": utc(case.due_at),
        "address": "" if case.channel in HOME_ADDRESS_CHANNELS else case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lng,
        "media_url": "",
    }


def _update(event: CaseEvent) -> dict:
    status = event.to_status or event.case.status
    label = services.action_label(event.action)
    return {
        "update_id": str(event.pk),
        "service_request_id": str(event.case.number),
        "status": "closed" if status in FINISHED else "open",
        "updated_datetime": utc(event.at),
        "description": f"{label}：{event.text}" if event.text else label,
        "media_url": "",
    }


# ---- endpoints ---------------------------------------------------------------------------------


@require_GET
@_endpoint
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:root"))
    data = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "WANGGE_OPEN311_CONTACT", "") or "",
        "key_service": "api_key: ask the platform administrator (manage.py create_open311_key)",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base.rstrip("/"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(fmt, data, root="discovery", item=None)


@require_GET
@_endpoint
def service_list(request, fmt):
    key = _key(request, required=False)
    rows = [_service(c) for c in services.services_for(key=key, jurisdiction=_jurisdiction(request))]
    return render(fmt, rows, root="services", item="service")


@require_GET
@_endpoint
def service_definition(request, code, fmt):
    key = _key(request, required=False)
    category = services.service_get(key=key, jurisdiction=_jurisdiction(request), code=code)
    data = {"service_code": str(category.code), "attributes": []}
    return render(fmt, data, root="service_definition", item=None)


def _float(request, name: str) -> float | None:
    value = _param(request, name)
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise DomainError(f"{name} must be a number", field=name) from None
    if not math.isfinite(number):
        raise DomainError(f"{name} must be a finite number", field=name)
    return number


def _post_request(request, fmt):
    key = _need_key(request)
    names = ("service_code", "address_string", "description", "first_name", "last_name", "phone", "account_id")
    values = {name: _param(request, name) for name in names}
    values["lat"], values["lng"] = _float(request, "lat"), _float(request, "long")

    def perform():
        filed = services.request_create(key=key, **values)
        body = [
            {
                "service_request_id": str(filed.case.number),
                "token": filed.token,
                "service_notice": "",
                "account_id": filed.account_id or None,
            }
        ]
        return 201, body, filed.case

    outcome = idempotency.run(
        owner=f"open311:{key.pk}",
        endpoint="open311.requests",
        key=request.headers.get(idempotency.HEADER),
        payload=values,
        perform=perform,
    )
    response = render(fmt, outcome.body, root="service_requests", item="request", status=outcome.status)
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_endpoint
def request_list(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    key = _need_key(request)
    cases = services.request_list(
        key=key,
        **{n: _param(request, n) for n in ("service_request_id", "service_code", "start_date", "end_date", "status")},
    )
    return render(fmt, [_request(c) for c in cases], root="service_requests", item="request")


@require_GET
@_endpoint
def request_detail(request, number, fmt):
    key = _need_key(request)
    return render(
        fmt, [_request(services.request_get(key=key, number=number))], root="service_requests", item="request"
    )


@require_GET
@_endpoint
def token_detail(request, token, fmt):
    key = _need_key(request)
    found = services.token_get(key=key, token=token)
    rows = [{"service_request_id": str(found.case.number), "token": found.token}]
    return render(fmt, rows, root="service_requests", item="request")


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_endpoint
def updates(request, fmt):
    key = _need_key(request)
    if request.method == "POST":
        event = services.update_create(
            key=key,
            **{
                n: _param(request, n)
                for n in ("service_request_id", "description", "first_name", "last_name", "status")
            },
        )
        return render(fmt, [{"update_id": str(event.pk)}], root="service_request_updates", item="request_update")
    rows = services.update_list(
        key=key, **{n: _param(request, n) for n in ("start_date", "end_date", "service_request_id")}
    )
    return render(fmt, [_update(e) for e in rows], root="service_request_updates", item="request_update")
