"""Open311 GeoReport v2 on top of the case services: a request is a case filed with
`services.case_report` (channel open311) by the system on behalf of a keyed client; a posted update
is a note on its timeline. Reads start from the key's region."""

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from wangge.cases import services as case_services
from wangge.cases.models import FINISHED, Case, CaseEvent, Category, Channel, ContactPreference
from wangge.cases.rules import applicable_prefixes
from wangge.cases.workflow import ACTION_LABELS
from wangge.core.errors import DomainError, NotFound
from wangge.regions.models import Level, Region

from .models import Open311Key, Open311Request

LIST_LIMIT = 1000
DEFAULT_DAYS = 90


def _in_key(key: Open311Key, region_key: str) -> bool:
    return region_key.startswith(key.region_key)


def services_for(*, key: Open311Key | None, jurisdiction: Region | None) -> QuerySet:
    """The catalogue offered as Open311 services: what applies in the key's (or jurisdiction's)
    region and below; without either, every active catalogue."""
    categories = Category.objects.filter(is_active=True).select_related("parent").order_by("sort_order", "code")
    region_key = key.region_key if key else (jurisdiction.key if jurisdiction else None)
    if region_key is None:
        return categories
    return categories.filter(region_key__in=applicable_prefixes(region_key)) | categories.filter(
        region_key__startswith=region_key
    )


def service_get(*, key: Open311Key | None, jurisdiction: Region | None, code: str) -> Category:
    found = services_for(key=key, jurisdiction=jurisdiction).filter(code=code).first()
    if found is None:
        raise NotFound(f"service_code {code} not found")
    return found


@transaction.atomic
def request_create(
    *,
    key: Open311Key,
    service_code: str,
    lat: float | None = None,
    lng: float | None = None,
    address_string: str = "",
    description: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    account_id: str = "",
) -> Open311Request:
    """File a service request as a case of the open311 channel; returns the link to its token."""
    if not service_code:
        raise DomainError("service_code is required / 缺少 service_code", field="service_code")
    if (lat is None or lng is None) and not address_string.strip():
        raise DomainError("lat and long, or address_string, is required / 请提供经纬度或地址", field="lat")
    region_code = ""
    if lat is None or lng is None:
        lat = lng = None
        region = Region.objects.filter(key=key.region_key).only("code", "level").first()
        if region is None or region.level < Level.COMMUNITY:
            raise DomainError(
                "lat/long is required: address_string alone cannot be placed here / 仅凭地址无法定位，请提供经纬度",
                field="lat",
            )
        region_code = region.code
    code = service_code.strip()
    # The service list offers the catalogue of the key's whole subtree; which line of it applies is
    # decided at the place (by `case_report`), as for every other channel.
    name = services_for(key=key, jurisdiction=None).filter(code=code).values_list("name", flat=True).first()
    unknown = f"service_code {service_code} not found / 事项类别不存在"
    if name is None:
        raise DomainError(unknown, field="service_code")
    phone = (phone or "").strip()
    try:
        case = case_services.case_report(
            actor=None,
            text=(description or "").strip() or name,
            channel=Channel.OPEN311,
            category=code,
            lng=lng,
            lat=lat,
            address=(address_string or "").strip()[:200],
            region_code=region_code,
            reporter_name=f"{(last_name or '').strip()}{(first_name or '').strip()}",
            reporter_phone=phone,
            contact_preference=ContactPreference.PHONE if phone else ContactPreference.NONE,
        )
    except DomainError as exc:
        if exc.field == "category":  # listed for the key, but not applicable at this place
            raise DomainError(unknown, field="service_code") from None
        raise
    if not _in_key(key, case.region_key):
        raise DomainError(
            "the location lies outside this api_key's jurisdiction / 位置不在该密钥的服务区域内", field="lat"
        )
    return Open311Request.objects.create(
        case=case, key=key, token=uuid.uuid4().hex, account_id=(account_id or "").strip()[:64]
    )


def _date(value: str, field: str) -> datetime | None:
    from django.utils.dateparse import parse_datetime

    if not value:
        return None
    parsed = parse_datetime(value.strip().replace(" ", "+"))
    if parsed is None:
        raise DomainError(f"{field} must be a W3C datetime such as 2026-01-31T08:00:00Z", field=field)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.UTC)
    return parsed


def _csv(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def requests_in_scope(key: Open311Key) -> QuerySet:
    return Case.objects.filter(region_key__startswith=key.region_key).select_related("category", "lead_department")


def request_list(
    *, key: Open311Key, service_request_id="", service_code="", start_date="", end_date="", status=""
) -> list[Case]:
    """GET requests: ids (which override every other filter), or service codes, dates (default the
    last 90 days) and status open/closed; newest first, at most 1000."""
    cases = requests_in_scope(key)
    ids = _csv(service_request_id)
    if ids:
        return list(cases.filter(number__in=[i.upper() for i in ids])[:LIST_LIMIT])
    codes = _csv(service_code)
    if codes:
        cases = cases.filter(category__code__in=codes)
    start, end = _date(start_date, "start_date"), _date(end_date, "end_date")
    if start is None and end is None:
        start = timezone.now() - timedelta(days=DEFAULT_DAYS)
    if start:
        cases = cases.filter(reported_at__gte=start)
    if end:
        cases = cases.filter(reported_at__lte=end)
    statuses = {s.lower() for s in _csv(status)}
    if statuses - {"open", "closed"}:
        raise DomainError("status must be open or closed", field="status")
    if statuses == {"open"}:
        cases = cases.exclude(status__in=FINISHED)
    elif statuses == {"closed"}:
        cases = cases.filter(status__in=FINISHED)
    return list(cases.order_by("-reported_at", "-id")[:LIST_LIMIT])


def request_get(*, key: Open311Key, number: str) -> Case:
    case = requests_in_scope(key).filter(number=(number or "").strip().upper()).first()
    if case is None:
        raise NotFound(f"service_request_id {number} not found")
    return case


def token_get(*, key: Open311Key, token: str) -> Open311Request:
    found = Open311Request.objects.select_related("case").filter(key=key, token=(token or "").strip()).first()
    if found is None:
        raise NotFound(f"token {token} not found")
    return found


def update_list(*, key: Open311Key, start_date="", end_date="", service_request_id="") -> list[CaseEvent]:
    """Public timeline entries of cases in the key's region (servicerequestupdates extension)."""
    events = CaseEvent.objects.filter(public=True, case__region_key__startswith=key.region_key).select_related("case")
    ids = _csv(service_request_id)
    if ids:
        events = events.filter(case__number__in=[i.upper() for i in ids])
    start, end = _date(start_date, "start_date"), _date(end_date, "end_date")
    if start is None and end is None and not ids:
        start = timezone.now() - timedelta(days=DEFAULT_DAYS)
    if start:
        events = events.filter(at__gte=start)
    if end:
        events = events.filter(at__lte=end)
    return list(events.order_by("at", "id")[:LIST_LIMIT])


@transaction.atomic
def update_create(
    *, key: Open311Key, service_request_id: str, description: str, first_name="", last_name="", status=""
) -> CaseEvent:
    """A client's update (e.g. the reporter's comment) becomes a note on the case's timeline."""
    case = request_get(key=key, number=service_request_id)
    description = (description or "").strip()
    if not description:
        raise DomainError("description is required / 请填写更新内容", field="description")
    who = f"{(last_name or '').strip()}{(first_name or '').strip()}" or "reporter"
    text = f"[Open311 {key.client}] {who}: {description[:1500]}"
    if status:
        text += f" (status: {status[:20]})"
    case_services.case_note(case=case, actor=None, text=text)
    return case.events.filter(action="note").order_by("-id").first()


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
