"""The HTTP API at /api/v1/: one NinjaAPI, a router per app, errors mapped in one place."""

from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from wangge.accounts.api import router as accounts_router
from wangge.cases.api import router as cases_router
from wangge.cases.dashboard_api import router as indicators_router
from wangge.cases.hotline_api import router as hotline_router
from wangge.core.api import router as audit_router
from wangge.core.api_base import API_AUTH
from wangge.core.errors import DomainError
from wangge.deliberation.api import router as deliberation_router
from wangge.notify.api import router as notify_router
from wangge.party.api import router as party_router
from wangge.points.api import router as points_router
from wangge.regions.api import router as regions_router
from wangge.regions.imports_api import router as imports_router
from wangge.registry.api import router as registry_router
from wangge.sheets.api import router as sheets_router
from wangge.units.api import router as units_router
from wangge.worktime.api import router as worktime_router

api = NinjaAPI(
    title="Wangge API",
    version="1",
    description="网格化基层治理平台接口。人员用浏览器会话登录，系统用 `Authorization: Bearer` 令牌。",
    auth=API_AUTH,
    urls_namespace="api",
)

api.add_router("", accounts_router)
api.add_router("", regions_router)
api.add_router("", audit_router)
api.add_router("", imports_router)
api.add_router("", registry_router)
api.add_router("", units_router)
api.add_router("", worktime_router)
api.add_router("", cases_router)
api.add_router("", notify_router)
api.add_router("", sheets_router)  # after imports_router: /imports/divisions and /imports/grids match first
api.add_router("", hotline_router)
api.add_router("", indicators_router)
api.add_router("", party_router)
api.add_router("", points_router)
api.add_router("", deliberation_router)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return api.create_response(
        request, {"code": "unauthenticated", "message": "请先登录或提供有效的接口令牌"}, status=401
    )


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    details = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", [])]
        if location and location[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
            location = location[1:]  # where the value came from, not which field it is
        location = [part for part in location if part != "payload"]
        details.append({"field": ".".join(location) or None, "message": error.get("msg", "")})
    first = details[0] if details else {"field": None, "message": "请求参数无效"}
    return api.create_response(
        request,
        {
            "code": "invalid",
            "message": f"{first['field'] or '请求'}：{first['message']}",
            "field": first["field"],
            "details": details,
        },
        status=422,
    )
