"""Importing and exporting ledgers: the only writers of ImportJob, and the only way a ledger's
rows come in from or go out to Excel. Staff with IMPORT_LEDGERS / EXPORT_LEDGERS, in their scope."""

import hashlib
import logging
import marshal
import time

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.roles import EXPORT_LEDGERS, IMPORT_LEDGERS, REVEAL_PII, require
from wangge.core import audit, pii
from wangge.core.errors import Conflict, DomainError, Forbidden, NotFound
from wangge.core.scope import scope_key_of

from . import engine, writer
from .models import ImportJob, JobStatus
from .reader import SheetRefused
from .spec import Context, LedgerSpec, StaleRows, find

logger = logging.getLogger(__name__)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_upload_bytes() -> int:
    return _setting("WANGGE_IMPORT_MAX_BYTES", 50 * 1024 * 1024)


def inline_bytes() -> int:
    """Files up to this size are checked and written during the request; larger ones by a worker."""
    return _setting("WANGGE_IMPORT_INLINE_BYTES", 256 * 1024)


def too_large(size: int) -> DomainError:
    return DomainError(
        _("文件过大（%(n).1f MB），上限 %(m)d MB") % {"n": size / 1048576, "m": max_upload_bytes() // 1048576},
        code="too_large",
        field="file",
    )


def may_import(user, spec: LedgerSpec) -> bool:
    return (
        spec.importable and user.can(IMPORT_LEDGERS) and (not spec.write_capability or user.can(spec.write_capability))
    )


def may_export(user, spec: LedgerSpec) -> bool:
    return user.can(EXPORT_LEDGERS) and (not spec.view_capability or user.can(spec.view_capability))


def ledger_for(*, user, name: str, capability: str) -> LedgerSpec:
    """The ledger's spec, if this user may import (or export) it. An unknown ledger is a 404."""
    spec = find(name)
    if spec is None:
        raise NotFound(_("没有名为“%(n)s”的台账") % {"n": name[:40]})
    require(user, capability)
    if capability == IMPORT_LEDGERS and not spec.importable:
        raise Forbidden(_("“%(t)s”台账只能导出，不能导入") % {"t": spec.title}, code="export_only")
    if spec.view_capability:
        require(user, spec.view_capability)
    if capability == IMPORT_LEDGERS and spec.write_capability:
        require(user, spec.write_capability)
    if user is not None and scope_key_of(user) is None:
        raise Forbidden(_("您的账号没有管辖范围，不能导入或导出台账"))
    return spec


# ---- storage: the upload holds ID numbers, so it is kept encrypted and removed when done -------


def _store(name: str, data: bytes) -> str:
    return default_storage.save(name, ContentFile(pii.encrypt_bytes(data)))


def _load(name: str) -> bytes:
    if not name:
        raise FileNotFoundError("purged")
    with default_storage.open(name, "rb") as handle:
        return pii.decrypt_bytes(handle.read())


def _discard(name: str) -> None:
    if name:
        default_storage.delete(name)


# ---- the dry run's parsed rows, kept for the commit -------------------------------------------------
# A checked job keeps, beside its upload, the cell values its dry run parsed (`engine.CheckedRows`),
# so that the commit does not read and parse the workbook again; the commit still checks every row
# against the database as it is then. The blob is sealed like the upload and bound to the job, its
# ledger and the upload's SHA-256: a blob of another job or file, or one changed by anyone without
# the key, does not open, and the commit then reads the uploaded file itself, as it does when the
# blob is missing or its columns no longer match the ledger's.

_CHECKED_FORMAT = "checked-rows-2"


def _binding(job: ImportJob) -> bytes:
    # The index key's fingerprint too: staged rows carry blind indexes made with it.
    return f"wangge:{_CHECKED_FORMAT}:{job.pk}:{job.ledger}:{job.file_sha256}:{pii.index_key_id()}".encode()


def _store_checked(job: ImportJob, checked: "engine.CheckedRows") -> str:
    # marshal, not pickle: plain values only, and reading it back never runs code, even if the key
    # that authenticates it leaked.
    blob = marshal.dumps((checked.fields, checked.rows, checked.staged))
    sealed = pii.encrypt_bytes(blob, bound_to=_binding(job))
    return default_storage.save(f"imports/{job.pk}/checked.bin", ContentFile(sealed))


def _load_checked(job: ImportJob, spec: LedgerSpec) -> "engine.CheckedRows | None":
    """The job's kept rows, or None (missing, sealed for something else, damaged, outdated)."""
    if not job.checked_file:
        return None
    try:
        with default_storage.open(job.checked_file, "rb") as handle:
            blob = pii.decrypt_bytes(handle.read(), bound_to=_binding(job))
    except (FileNotFoundError, InvalidToken):
        logger.warning("import job %s: kept rows missing or not sealed for this job; reading the file", job.pk)
        return None
    try:
        with engine.no_cyclic_gc():  # 100,000 tuples at once: see engine.no_cyclic_gc
            # Authenticated above: written by this code for this job and file.
            fields, rows, staged = marshal.loads(blob)
    except (ValueError, EOFError, TypeError):
        return None
    if tuple(fields) != tuple(column.field for column in spec.columns):
        return None  # the ledger's columns changed since the dry run
    return engine.CheckedRows(tuple(fields), rows, staged)


# ---- import ---------------------------------------------------------------------------------------


def import_upload(*, actor, ledger: str, file_name: str, data: bytes, commit: bool = False) -> ImportJob:
    """Accept an uploaded workbook. Small files are checked at once (and, with commit=True and no
    error, written at once); larger ones are queued for a worker and report progress. The job's
    status says what happened: refused (the file as a whole), invalid (rows with errors), ready,
    committed, or queued."""
    spec = ledger_for(user=actor, name=ledger, capability=IMPORT_LEDGERS)
    if len(data) > max_upload_bytes():
        raise too_large(len(data))
    if not data:
        raise DomainError(_("上传的文件是空的"), code="empty_file", field="file")
    background = len(data) > inline_bytes()
    job = ImportJob.objects.create(
        ledger=spec.name,
        actor=actor,
        scope_key=scope_key_of(actor),
        file_name=(file_name or "upload.xlsx")[-255:],
        file_size=len(data),
        file_sha256=hashlib.sha256(data).hexdigest(),
        background=background,
        commit_when_valid=commit,
        status=JobStatus.QUEUED,
    )
    job.stored_file = _store(f"imports/{job.pk}/upload.bin", data)
    job.save(update_fields=["stored_file", "updated_at"])
    if background:
        _enqueue(job, commit=commit)
        return job
    return run_job(job_id=job.pk, commit=commit, data=data)


def import_commit(*, actor, job: ImportJob) -> ImportJob:
    """Write a checked job's rows — all or none. The file is checked again against the database as
    it is now, so a row that became wrong since the preview stops the whole import."""
    require(actor, IMPORT_LEDGERS)
    if job.actor_id != actor.pk:
        raise NotFound(_("未找到该导入任务，或不在您的管辖范围内"))
    claimed = ImportJob.objects.filter(pk=job.pk, status=JobStatus.READY).update(
        status=JobStatus.QUEUED if job.background else JobStatus.COMMITTING,
        phase="",
        progress_done=0,
        progress_total=0,
        updated_at=timezone.now(),
    )
    if not claimed:
        job.refresh_from_db()
        raise Conflict(_("该导入任务当前状态为“%(s)s”，不能提交") % {"s": job.get_status_display()}, code="not_ready")
    job.refresh_from_db()
    if job.background:
        _enqueue(job, commit=True)
        return job
    return run_job(job_id=job.pk, commit=True)


def _enqueue(job: ImportJob, *, commit: bool) -> None:
    from .tasks import run_import

    def send():
        result = run_import.enqueue(job.pk, commit)
        ImportJob.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id)[:64])

    transaction.on_commit(send)


class _Progress:
    """Writes the job's progress at most twice a second, so a worker's loop is not slowed by it."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.next_at = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now < self.next_at and done != total and phase != "write":
            return
        self.next_at = now + 0.5
        ImportJob.objects.filter(pk=self.job_id).update(phase=phase, progress_done=done, progress_total=total)


def run_job(*, job_id: int, commit: bool, data: bytes | None = None) -> ImportJob:
    """Check (and with commit=True, write) one job's file. Runs in the request for small files and
    in the task worker for large ones; never raises for a bad file — the job records why."""
    job = ImportJob.objects.select_related("actor").get(pk=job_id)
    if job.status not in (JobStatus.QUEUED, JobStatus.COMMITTING, JobStatus.CHECKING):
        return job  # already handled (a task delivered twice)
    spec = find(job.ledger)
    actor = job.actor
    job.status = JobStatus.COMMITTING if commit else JobStatus.CHECKING
    job.phase, job.progress_done, job.progress_total = "", 0, 0
    job.save(update_fields=["status", "phase", "progress_done", "progress_total", "updated_at"])
    ctx = Context(
        actor=actor,
        scope_key=scope_key_of(actor) or "",
        note=_("导入任务#%(n)d %(f)s") % {"n": job.pk, "f": job.file_name},
    )
    progress = _Progress(job.pk)
    try:
        ledger_for(user=actor, name=job.ledger, capability=IMPORT_LEDGERS)
        outcome = None
        if commit and data is None:
            started = time.perf_counter()
            checked = _load_checked(job, spec)
            if checked is not None:
                loaded = time.perf_counter() - started
                outcome = engine.commit_checked(spec, ctx, checked, job=job, progress=progress)
                if outcome is not None:
                    outcome.timings = {"load_checked": loaded, **outcome.timings}
        if outcome is None:
            if data is None:
                data = _load(job.stored_file)
            if commit:
                outcome = engine.commit(spec, ctx, data, job=job, progress=progress)
            else:
                outcome = engine.dry_run(spec, ctx, data, progress=progress)
    except (SheetRefused, Forbidden, NotFound) as refusal:
        return _finish(job, JobStatus.REFUSED, code=refusal.code, message=refusal.message, discard=True)
    except DomainError as error:  # a ledger's own service refused a row while writing: nothing was written
        return _finish(job, JobStatus.FAILED, code=error.code, message=error.message)
    except FileNotFoundError:
        return _finish(
            job, JobStatus.REFUSED, code="expired", message=_("上传的文件已过保存期限被删除：请重新上传"), discard=True
        )
    except (IntegrityError, StaleRows):  # a concurrent change while this very commit read the file
        logger.warning("import job %s: integrity error while writing", job.pk, exc_info=True)
        return _finish(
            job,
            JobStatus.FAILED,
            code="conflict",
            message=_("写入时与同时进行的其他修改冲突，未写入任何数据：请重新上传核对"),
        )
    except Exception:  # the job must end in a state the uploader can read, whatever went wrong
        logger.exception("import job %s failed", job.pk)
        return _finish(
            job, JobStatus.FAILED, code="failed", message=_("导入过程中出错，未写入任何数据：请稍后重试或联系管理员")
        )
    job.rows = outcome.total
    job.new, job.updated, job.unchanged = (outcome.counts[k] for k in (engine.NEW, engine.UPDATED, engine.UNCHANGED))
    job.errors = outcome.counts["errors"]
    job.first_errors = outcome.first_errors()
    job.timings = {phase: round(seconds, 3) for phase, seconds in outcome.timings.items()}
    job.checked_at = timezone.now()
    if job.errors:
        _discard(job.error_report)
        report = writer.error_report(spec.title, outcome.sheet.headers, outcome.rows)
        job.error_report = _store(f"imports/{job.pk}/errors.bin", report)
        return _finish(job, JobStatus.INVALID, discard=True)  # cannot be committed: keep only the report
    if outcome.committed:
        job.committed_at = timezone.now()
        return _finish(job, JobStatus.COMMITTED, discard=True)
    if outcome.checked is not None:
        started = time.perf_counter()
        _discard(job.checked_file)
        job.checked_file = _store_checked(job, outcome.checked)
        job.timings["store_checked"] = round(time.perf_counter() - started, 3)
    return _finish(job, JobStatus.READY)


def _finish(job: ImportJob, status: str, *, code: str = "", message: str = "", discard: bool = False) -> ImportJob:
    job.status = status
    job.code, job.message = code, str(message)
    job.phase = ""
    job.progress_done = job.progress_total = job.rows
    if discard:
        _discard(job.stored_file)
        _discard(job.checked_file)
        job.stored_file = job.checked_file = ""
    job.save()
    return job


def error_report_of(*, actor, job: ImportJob) -> tuple[str, bytes]:
    """The error report of the actor's own job: the uploaded rows and what is wrong with them."""
    if job.actor_id != actor.pk or not job.error_report:
        raise NotFound(_("该导入任务没有错误报告"))
    try:
        data = _load(job.error_report)
    except FileNotFoundError:
        raise NotFound(_("错误报告已过保存期限被删除，请重新上传文件")) from None
    stem = job.file_name.rsplit(".", 1)[0]
    return f"{stem}-错误报告.xlsx", data


def purge_old_files(*, older_than_hours: int | None = None) -> int:
    """Delete the stored uploads and error reports of jobs older than the retention period (they
    hold personal data); the job rows and counts stay. Returns how many jobs were purged."""
    hours = older_than_hours if older_than_hours is not None else _setting("WANGGE_IMPORT_KEEP_HOURS", 72)
    cutoff = timezone.now() - timezone.timedelta(hours=hours)
    jobs = ImportJob.objects.filter(created_at__lt=cutoff, purged_at__isnull=True).exclude(
        status__in=[JobStatus.QUEUED, JobStatus.CHECKING, JobStatus.COMMITTING]
    )
    count = 0
    for job in jobs:
        _discard(job.stored_file)
        _discard(job.checked_file)
        _discard(job.error_report)
        ImportJob.objects.filter(pk=job.pk).update(
            stored_file="", checked_file="", error_report="", purged_at=timezone.now()
        )
        count += 1
    return count


def template_for(*, actor, ledger: str) -> tuple[str, bytes]:
    spec = ledger_for(user=actor, name=ledger, capability=IMPORT_LEDGERS)
    return f"{spec.title}-导入模板.xlsx", writer.template(spec)


# ---- export -----------------------------------------------------------------------------------------


def max_export_rows() -> int:
    return _setting("WANGGE_EXPORT_MAX_ROWS", 200_000)


def export_ledger(
    *, actor, ledger: str, region_code: str = "", reveal: bool = False, reason: str = ""
) -> tuple[str, bytes]:
    """The ledger of the actor's scope (or of one region inside it) as .xlsx. Masked by default;
    unmasked only with REVEAL_PII and a stated reason. Every export is audited, with the reason."""
    from wangge.regions.selectors import region_get

    spec = ledger_for(user=actor, name=ledger, capability=EXPORT_LEDGERS)
    scope = scope_key_of(actor)
    region = region_get(user=actor, code=region_code) if region_code else None
    reason = (reason or "").strip()
    if reveal:
        require(actor, REVEAL_PII)
        if len(reason) < 2:
            raise DomainError(_("导出完整的身份证号和手机号须填写理由"), code="reason_required", field="reason")
        if len(reason) > 200:
            raise DomainError(_("理由不能超过200个字符"), code="invalid", field="reason")
    ctx = Context(actor=actor, scope_key=scope, reveal=reveal, region_key=region.key if region else scope)
    count = spec.export_count(ctx)
    if count > max_export_rows():
        raise DomainError(
            _("共%(n)d行，超过一次导出的上限%(m)d行：请选择更小的区域分别导出") % {"n": count, "m": max_export_rows()},
            code="too_many_rows",
            field="region",
        )
    now = timezone.localtime()
    area = region.name if region else (actor.scope_region.name if actor.scope_region_id else scope)
    info = [
        (_("台账"), spec.title),
        (_("范围"), f"{area}（{ctx.region_key}）"),
        (_("导出人"), f"{actor}（{actor.get_username()}）"),
        (_("导出时间"), now.strftime("%Y-%m-%d %H:%M")),
        (_("行数"), str(count)),
        (_("身份证号和手机号"), _("完整（理由：%(r)s）") % {"r": reason} if reveal else _("已脱敏")),
    ]
    data = writer.export(spec, spec.export(ctx), info)
    audit.record(
        actor=actor,
        verb="sheets.export",
        target=region,
        target_type="regions.region",
        target_id=str(region.pk) if region else "",
        target_label=f"{spec.title} {area}",
        scope_key=ctx.region_key,
        after={"ledger": spec.name, "rows": count, "revealed": reveal},
        note=reason,
    )
    suffix = "-完整" if reveal else ""
    return f"{spec.title}-{area}-{now:%Y%m%d}{suffix}.xlsx", data
