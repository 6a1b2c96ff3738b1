"""Cases over HTTP for staff and systems: report, lists and inboxes, detail with the timeline, one
POST per workflow action (409 when the case changed meanwhile), photos, and the catalogues."""

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from wangge.accounts.roles import Role
from wangge.core.errors import DomainError, NotFound
from wangge.core.pagination import BoundedPagination
from wangge.regions.models import Department

from . import attachments, catalogue, selectors, services, suggestions
from .schemas import (
    AcceptIn,
    AccessItemIn,
    AccessItemOut,
    AccessItemUpdateIn,
    AnnotateIn,
    AnswerIn,
    ApplySuggestionIn,
    AssignIn,
    CaseDetailOut,
    CaseOut,
    CaseReportIn,
    CaseReportOut,
    CategoryIn,
    CategoryOut,
    CategoryUpdateIn,
    CommentIn,
    DepartmentChoiceOut,
    DispatchIn,
    DuplicateOut,
    ExtensionIn,
    HandleIn,
    ImportOut,
    MergeIn,
    NoteIn,
    PhoneOut,
    RateIn,
    ReasonIn,
    RejectIn,
    RevealIn,
    ReworkIn,
    RuleIn,
    SuggestionsOut,
    TransferIn,
    UploadOut,
    VerifyIn,
    Versioned,
)

router = Router(tags=["cases"])


# ---- turning codes into objects ----------------------------------------------------------------


def _category(code: str | None, region_key: str, field: str = "category"):
    if not code:
        return None
    found = selectors.category_for_code(code=code, region_key=region_key)
    if found is None:
        raise DomainError(_("事项类别 %(code)s 不存在或不适用于此地") % {"code": code}, field=field)
    return found


def _department(code: str | None, field: str):
    if not code:
        return None
    found = Department.objects.filter(code=code).first()
    if found is None:
        raise DomainError(_("部门 %(code)s 不存在") % {"code": code}, field=field)
    return found


def _kwargs(request, case, payload) -> dict:
    """The service's keyword arguments from an action's input: codes become objects."""
    values = payload.dict()
    if "category" in values:
        values["category"] = _category(values["category"], case.region_key)
    if "lead" in values:
        values["lead"] = _department(values["lead"], "lead")
    if "assisting" in values:
        values["assisting"] = [_department(code, "assisting") for code in values["assisting"]]
    if "into" in values:
        try:
            values["into"] = selectors.case_get(user=request.user, number=values["into"])
        except NotFound:
            raise NotFound(_("要并入的案件不存在或不在您的管辖范围内"), field="into") from None
    if "photo_ids" in values:
        ids = values.pop("photo_ids")
        values["photos"] = attachments.staged(actor=request.user, ids=ids) if ids else []
    return values


TEXT_FIELDS = ("reason", "report", "ruling", "comment", "note", "text")


# ---- cases ------------------------------------------------------------------------------------


@router.post("/cases", response={201: CaseReportOut}, summary="上报案件（各渠道）")
def report_case(request: HttpRequest, payload: CaseReportIn):
    values = payload.dict()
    ids = values.pop("photo_ids")
    photos = attachments.staged(actor=request.user, ids=ids) if ids else []
    case = services.case_report(actor=request.user, photos=photos, **values)
    detail = selectors.case_detail(user=request.user, case=case)
    detail.duplicates = selectors.duplicate_candidates(user=request.user, case=case)
    return Status(201, detail)


@router.get("/cases", response=list[CaseOut], summary="案件列表（限管辖范围，可筛选排序）")
@paginate(BoundedPagination, page_size=50)
def list_cases(
    request: HttpRequest,
    status: str = "",
    category: str = "",
    channel: str = "",
    level: int | None = None,
    supervised: bool | None = None,
    breached: bool | None = None,
    overdue: bool | None = None,
    region: str = "",
    department: str = "",
    q: str = "",
    reported_from: str = "",
    reported_to: str = "",
    order: str = "-reported_at",
):
    filters = {k: v for k, v in locals().items() if k != "request"}
    return selectors.case_list(user=request.user, filters=filters)


@router.get("/cases/inbox/{box}", response=list[CaseOut], summary="待办列表：按剩余时间排序")
@paginate(BoundedPagination, page_size=50)
def inbox(request: HttpRequest, box: str):
    """`box`: sort（待受理）, community（社区待办）, dispatch（待派遣）, department（部门待办）,
    verify（待核查）, supervised（督办）, mine（我的上报）."""
    return selectors.case_inbox(user=request.user, box=box)


@router.get("/cases/{number}", response=CaseDetailOut, summary="案件详情与处理记录")
def get_case(request: HttpRequest, number: str):
    case = selectors.case_get(user=request.user, number=number)
    return selectors.case_detail(user=request.user, case=case)


@router.get("/cases/{number}/duplicates", response=list[DuplicateOut], summary="疑似重复的案件")
def duplicates(request: HttpRequest, number: str):
    case = selectors.case_get(user=request.user, number=number)
    return selectors.duplicate_candidates(user=request.user, case=case)


@router.get("/cases/{number}/departments", response=list[DepartmentChoiceOut], summary="可派遣的部门")
def departments(request: HttpRequest, number: str):
    case = selectors.case_get(user=request.user, number=number)
    suggested = selectors.suggested_lead(case=case)
    choices = list(selectors.departments_for(case=case))
    for department in choices:
        department.suggested = suggested is not None and department.pk == suggested.pk
    return choices


@router.post("/cases/{number}/reveal-phone", response=PhoneOut, summary="查看反映人完整电话（记录理由）")
def reveal_phone(request: HttpRequest, number: str, payload: RevealIn):
    case = selectors.case_get(user=request.user, number=number)
    return {"phone": services.reporter_phone(actor=request.user, case=case, reason=payload.reason)}


ACTIONS = [
    ("accept", AcceptIn, "受理立案"),
    ("reject", RejectIn, "不予受理"),
    ("merge", MergeIn, "合并到另一案件"),
    ("transfer", TransferIn, "移交110/119/120"),
    ("answer", AnswerIn, "直接答复办结（咨询、建议、表扬）"),
    ("take", NoteIn, "社区自行处置"),
    ("escalate", ReasonIn, "上报上一级"),
    ("dispatch", DispatchIn, "派遣主办、协办部门"),
    ("assign_community", AssignIn, "派给社区（须在准入目录内）"),
    ("return", RejectIn, "退单"),
    ("rule_return", RuleIn, "退单裁定"),
    ("start", NoteIn, "签收办理"),
    ("suspend", RejectIn, "挂起（等待居民）"),
    ("resume", NoteIn, "恢复办理"),
    ("request_extension", ExtensionIn, "申请延期"),
    ("approve_extension", NoteIn, "批准延期"),
    ("deny_extension", RejectIn, "驳回延期"),
    ("handle", HandleIn, "办结反馈"),
    ("rework", ReworkIn, "核查不通过"),
    ("verify", VerifyIn, "现场核查"),
    ("close", NoteIn, "结案"),
    ("rate", RateIn, "评价"),
    ("reopen", ReasonIn, "重新办理（不满意，限一次）"),
]
# The services name some inputs differently from the API's plain words.
RENAMES = {
    "start": {"text": "note"},
    "resume": {"text": "note"},
    "approve_extension": {"text": "note"},
    "close": {"text": "note"},
}


def _register(action: str, schema, summary: str) -> None:
    service = getattr(services, f"case_{action}")
    renames = RENAMES.get(action, {})

    text_field = next(name for name in TEXT_FIELDS if name in schema.model_fields)

    def endpoint(request: HttpRequest, number: str, payload: schema):
        case = selectors.case_get(user=request.user, number=number)
        values = _kwargs(request, case, payload)
        values = {renames.get(k, k): v for k, v in values.items()}
        try:
            moved = service(case=case, actor=request.user, **values)
        except DomainError as error:
            if error.field == "text":  # the services' word for the free text; name the API's field
                error.field = text_field
            raise
        return selectors.case_detail(user=request.user, case=moved)

    endpoint.__name__ = f"case_{action}"
    router.add_api_operation(
        f"/cases/{{number}}/{action}",
        ["POST"],
        endpoint,
        response=CaseDetailOut,
        summary=summary,
        operation_id=f"case_{action}",
    )


for _action, _schema, _summary in ACTIONS:
    _register(_action, _schema, _summary)


@router.get("/cases/{number}/suggestions", response=SuggestionsOut, summary="派单建议（前三位及置信度）")
def case_suggestions(request: HttpRequest, number: str):
    case = selectors.case_get(user=request.user, number=number)
    if request.user.role == Role.RESIDENT:  # the model's guesses are for staff, not the reporter
        raise NotFound(_("案件不存在，或不在您的管辖范围内"))
    view = suggestions.view_for(case, list(selectors.categories_for(region_key=case.region_key)))
    return {
        "rows": view["rows"],
        "message": view["message"],
        "outcome": view.get("outcome", "pending"),
        "final_label": view.get("final_label", ""),
        "auto_applied": view.get("auto_applied", False),
    }


@router.post("/cases/{number}/apply-suggestion", response=CaseDetailOut, summary="一键采纳派单建议（受理并派遣）")
def apply_suggestion(request: HttpRequest, number: str, payload: ApplySuggestionIn):
    case = selectors.case_get(user=request.user, number=number)
    moved = suggestions.apply_suggestion(
        case=case, code=payload.category, actor=request.user, expected_version=payload.expected_version
    )
    return selectors.case_detail(user=request.user, case=moved)


@router.post("/cases/{number}/urge", response=CaseDetailOut, summary="催办")
def urge(request: HttpRequest, number: str, payload: AnnotateIn):
    case = selectors.case_get(user=request.user, number=number)
    moved = services.case_urge(case=case, actor=request.user, text=payload.text)
    return selectors.case_detail(user=request.user, case=moved)


@router.post("/cases/{number}/supervise", response=CaseDetailOut, summary="督办")
def supervise(request: HttpRequest, number: str, payload: AnnotateIn):
    case = selectors.case_get(user=request.user, number=number)
    moved = services.case_supervise(case=case, actor=request.user, text=payload.text)
    return selectors.case_detail(user=request.user, case=moved)


@router.post("/cases/{number}/note", response=CaseDetailOut, summary="备注（协办部门反馈）")
def note(request: HttpRequest, number: str, payload: CommentIn):
    case = selectors.case_get(user=request.user, number=number)
    photos = attachments.staged(actor=request.user, ids=payload.photo_ids) if payload.photo_ids else []
    moved = services.case_note(case=case, actor=request.user, text=payload.text, photos=photos)
    return selectors.case_detail(user=request.user, case=moved)


# ---- photos ----------------------------------------------------------------------------------


@router.post("/case-uploads", response={201: UploadOut}, summary="上传照片（之后在操作中用 photo_ids 引用）")
def upload(request: HttpRequest, file: File[UploadedFile]):
    return Status(201, attachments.stage_upload(actor=request.user, file=file))


@router.get("/case-attachments/{attachment_id}", summary="下载照片")
def download(request: HttpRequest, attachment_id: int):
    attachment = selectors.attachment_get(user=request.user, pk=attachment_id)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- catalogue --------------------------------------------------------------------------------


def _annotate_access(categories) -> list:
    from .models import AccessCatalogueItem

    categories = list(categories)
    covered = set(
        AccessCatalogueItem.objects.filter(category__in=categories, is_active=True).values_list(
            "category_id", flat=True
        )
    )
    for category in categories:
        category.on_access_catalogue = category.pk in covered
    return categories


@router.get("/case-categories", response=list[CategoryOut], summary="事项清单（类别树）")
@paginate(BoundedPagination, page_size=200)
def list_categories(request: HttpRequest, kind: str = "", active: bool | None = None, q: str = ""):
    return selectors.category_list(user=request.user, kind=kind, active=active, q=q)


def _category_values(request, values: dict, region_key: str) -> dict:
    if "parent" in values:
        values["parent"] = _category(values["parent"], region_key, "parent")
    if "department" in values:
        values["department"] = _department(values["department"], "department")
    return values


@router.post("/case-categories", response={201: CategoryOut}, summary="新增事项类别（管理员）")
def create_category(request: HttpRequest, payload: CategoryIn):
    values = payload.dict()
    region_key = values.get("region_key") or request.user.scope_key or ""
    category = catalogue.category_create(actor=request.user, **_category_values(request, values, region_key))
    return Status(201, _annotate_access([category])[0])


@router.post("/case-categories/import", response=ImportOut, summary="从 CSV/Excel 导入事项清单（管理员）")
def import_categories(request: HttpRequest, file: File[UploadedFile]):
    from wangge.accounts.roles import MANAGE_CATALOGUE, require

    require(request.user, MANAGE_CATALOGUE)
    rows = catalogue.read_rows(file.read(), file.name or "")
    return catalogue.import_catalogue(actor=request.user, rows=rows)


@router.get("/case-categories/{category_id}", response=CategoryOut, summary="事项类别详情")
def get_category(request: HttpRequest, category_id: int):
    return _annotate_access([selectors.category_get(user=request.user, pk=category_id)])[0]


@router.patch("/case-categories/{category_id}", response=CategoryOut, summary="修改或停用事项类别（管理员）")
def update_category(request: HttpRequest, category_id: int, payload: CategoryUpdateIn):
    category = selectors.category_get(user=request.user, pk=category_id)
    values = _category_values(request, payload.dict(exclude_unset=True), category.region_key)
    category = catalogue.category_update(actor=request.user, category=category, **values)
    return _annotate_access([category])[0]


@router.delete("/case-categories/{category_id}", response={204: None}, summary="删除未使用的事项类别（管理员）")
def delete_category(request: HttpRequest, category_id: int):
    category = selectors.category_get(user=request.user, pk=category_id)
    catalogue.category_delete(actor=request.user, category=category)
    return Status(204, None)


@router.get("/access-catalogue", response=list[AccessItemOut], summary="社区工作准入目录")
@paginate(BoundedPagination, page_size=200)
def list_access(request: HttpRequest, kind: str = "", active: bool | None = None):
    return selectors.access_catalogue(user=request.user, kind=kind, active=active)


@router.post("/access-catalogue", response={201: AccessItemOut}, summary="新增准入事项（管理员）")
def create_access(request: HttpRequest, payload: AccessItemIn):
    values = payload.dict()
    region_key = values.get("region_key") or request.user.scope_key or ""
    values["category"] = _category(values.get("category"), region_key)
    return Status(201, catalogue.access_item_create(actor=request.user, **values))


@router.patch("/access-catalogue/{item_id}", response=AccessItemOut, summary="修改或停用准入事项（管理员）")
def update_access(request: HttpRequest, item_id: int, payload: AccessItemUpdateIn):
    item = selectors.access_item_get(user=request.user, pk=item_id)
    values = payload.dict(exclude_unset=True)
    if "category" in values:
        values["category"] = _category(values["category"], item.region_key)
    return catalogue.access_item_update(actor=request.user, item=item, **values)


@router.delete("/access-catalogue/{item_id}", response={204: None}, summary="删除准入事项（管理员）")
def delete_access(request: HttpRequest, item_id: int):
    item = selectors.access_item_get(user=request.user, pk=item_id)
    catalogue.access_item_delete(actor=request.user, item=item)
    return Status(204, None)


__all__ = ["router", "Versioned"]
