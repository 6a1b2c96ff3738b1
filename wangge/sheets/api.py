"""Ledger Excel over the API: upload (dry run or straight commit), job status, commit, error report,
template and export. The same services as the pages."""

from datetime import datetime
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from wangge.accounts.roles import IMPORT_LEDGERS, require
from wangge.core.pagination import BoundedPagination

from . import selectors, services
from .models import ImportJob, JobStatus

router = Router(tags=["sheets"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class JobOut(Schema):
    id: int
    ledger: str
    status: str
    status_label: str
    file_name: str
    background: bool
    phase: str
    progress_done: int
    progress_total: int
    rows: int
    new: int
    updated: int
    unchanged: int
    errors: int
    first_errors: list[RowErrorOut]
    code: str = Field(description="拒绝或失败的原因代码（文件无法导入时）")
    message: str
    field: str | None = None
    error_report_url: str | None
    created_at: datetime
    checked_at: datetime | None
    committed_at: datetime | None

    @staticmethod
    def resolve_status_label(job: ImportJob) -> str:
        return str(job.get_status_display())

    @staticmethod
    def resolve_field(job: ImportJob) -> str | None:
        return "file" if job.status == JobStatus.REFUSED else None

    @staticmethod
    def resolve_error_report_url(job: ImportJob) -> str | None:
        return reverse("api:job_errors", kwargs={"job_id": job.pk}) if job.error_report else None


class ExportIn(Schema):
    region: str = Field("", max_length=17, description="管辖范围内的区域代码；不填为整个管辖范围")
    reveal: bool = Field(False, description="导出完整的身份证号和手机号（需相应权限，并填写理由）")
    reason: str = Field("", max_length=200)


def _status_code(job: ImportJob) -> int:
    if job.status in (JobStatus.QUEUED, JobStatus.CHECKING, JobStatus.COMMITTING):
        return 202
    if job.status in (JobStatus.REFUSED, JobStatus.FAILED):
        return 400
    if job.status == JobStatus.INVALID and job.commit_when_valid:
        return 400  # asked to write, and nothing was written
    return 200


def _download(name: str, data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@router.get("/imports/jobs/{int:job_id}", response=JobOut, url_name="job", summary="导入任务的状态、进度和结果")
def job_status(request: HttpRequest, job_id: int):
    return selectors.job_get(user=request.user, pk=job_id)


@router.post(
    "/imports/jobs/{int:job_id}/commit",
    response={200: JobOut, 202: JobOut, 400: JobOut},
    summary="确认导入已校验通过的任务（全部写入或全部不写入）",
)
def job_commit(request: HttpRequest, job_id: int):
    job = services.import_commit(actor=request.user, job=selectors.job_get(user=request.user, pk=job_id))
    return Status(_status_code(job) if job.status != JobStatus.INVALID else 400, job)


@router.get("/imports/jobs/{int:job_id}/errors", url_name="job_errors", summary="错误报告（.xlsx）")
def job_errors(request: HttpRequest, job_id: int):
    job = selectors.job_get(user=request.user, pk=job_id)
    return _download(*services.error_report_of(actor=request.user, job=job))


@router.get("/imports/{ledger}/template", summary="台账导入模板（.xlsx）")
def template(request: HttpRequest, ledger: str):
    return _download(*services.template_for(actor=request.user, ledger=ledger))


@router.get("/imports/{ledger}/jobs", response=list[JobOut], summary="我的导入任务")
@paginate(BoundedPagination, page_size=50)
def my_jobs(request: HttpRequest, ledger: str):
    require(request.user, IMPORT_LEDGERS)
    return selectors.job_list(user=request.user, ledger=ledger)


@router.post(
    "/imports/{ledger}",
    response={200: JobOut, 202: JobOut, 400: JobOut},
    summary="上传台账（dry_run=1 只校验并返回预览；dry_run=0 校验无误即全部写入）",
)
def upload(request: HttpRequest, ledger: str, file: File[UploadedFile], dry_run: bool = True):
    services.ledger_for(user=request.user, name=ledger, capability=IMPORT_LEDGERS)  # before reading the upload
    if file.size > services.max_upload_bytes():
        raise services.too_large(file.size)
    job = services.import_upload(
        actor=request.user, ledger=ledger, file_name=file.name or "", data=file.read(), commit=not dry_run
    )
    return Status(_status_code(job), job)


@router.post("/exports/{ledger}", summary="导出台账（.xlsx；默认脱敏，完整导出需权限和理由并记入审计）")
def export(request: HttpRequest, ledger: str, payload: Form[ExportIn]):
    name, data = services.export_ledger(
        actor=request.user, ledger=ledger, region_code=payload.region, reveal=payload.reveal, reason=payload.reason
    )
    return _download(name, data)
