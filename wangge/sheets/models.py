from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    CHECKING = "checking", _("正在校验")
    REFUSED = "refused", _("文件无法导入")
    INVALID = "invalid", _("有错误，未导入")
    READY = "ready", _("校验通过，待确认导入")
    COMMITTING = "committing", _("正在导入")
    COMMITTED = "committed", _("已导入")
    FAILED = "failed", _("导入失败，未写入")


RUNNING = (JobStatus.QUEUED, JobStatus.CHECKING, JobStatus.COMMITTING)


class ImportJob(TimeStamped):
    """One uploaded ledger file, from dry run to commit. The file itself is kept encrypted in
    storage (it holds ID numbers) until the job is purged; `progress_done/total` feed the
    progress bar while a background worker checks or writes it."""

    ledger = models.CharField(_("台账"), max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scope_key = models.CharField(max_length=20, db_index=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64)
    stored_file = models.CharField(max_length=300, blank=True)
    # The dry run's parsed rows (sealed, bound to this job and this file), which the commit reads
    # instead of parsing the workbook again; removed with the upload.
    checked_file = models.CharField(max_length=300, blank=True)
    error_report = models.CharField(max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    background = models.BooleanField(default=False)
    commit_when_valid = models.BooleanField(default=False)
    phase = models.CharField(max_length=12, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(_("数据行"), default=0)
    new = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("无变化"), default=0)
    errors = models.PositiveIntegerField(_("有错误的行"), default=0)
    first_errors = models.JSONField(default=list, blank=True)
    timings = models.JSONField(default=dict, blank=True)  # seconds per phase of the last run
    code = models.CharField(max_length=40, blank=True)
    message = models.TextField(_("说明"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导入任务")
        indexes = [models.Index(fields=["actor", "ledger", "-created_at"], name="importjob_actor_ledger_idx")]

    def __str__(self):
        return f"#{self.pk} {self.file_name}"

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)
