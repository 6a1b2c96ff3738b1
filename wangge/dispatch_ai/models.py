from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped


class TrainedFrom(models.TextChoices):
    CATALOGUE = "catalogue", _("事项清单（冷启动）")
    HISTORY = "history", _("派单历史")
    CSV = "csv", _("标注文件")
    HISTORY_CSV = "history+csv", _("派单历史与标注文件")


class ModelVersion(models.Model):
    """One trained classifier. At most one is active (a partial unique index says so).

    The fitted model is kept in `artefact`, in this row, rather than as a file through the storage
    API: it is written and activated in one transaction, backed up with the database, never left
    orphaned, and every app process reads the same bytes without a shared file system. A model is a
    few megabytes compressed and is read once per process per activation.
    """

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    trained_from = models.CharField(_("训练数据来源"), max_length=16, choices=TrainedFrom.choices)
    source_note = models.CharField(_("来源说明"), max_length=255, blank=True)
    labels = models.JSONField(_("类别"), default=list)
    n_examples = models.PositiveIntegerField(_("样本数"), default=0)
    params = models.JSONField(_("参数"), default=dict)
    evaluation = models.JSONField(_("评估结果"), default=dict, blank=True)
    library_versions = models.JSONField(default=dict, blank=True)
    artefact = models.BinaryField(_("模型文件"))
    artefact_sha256 = models.CharField(max_length=64)
    artefact_size = models.PositiveIntegerField(default=0)
    active = models.BooleanField(_("启用"), default=False)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    # The version that was active when this one was activated: `rollback` returns to it.
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="dispatch_ai_one_active_model"),
        ]
        verbose_name = _("分类模型版本")

    def __str__(self):
        return gettext("v%(id)s (%(source)s, %(n)d 类)") % {
            "id": self.pk,
            "source": self.get_trained_from_display(),
            "n": len(self.labels),
        }

    @property
    def macro_f1(self) -> float | None:
        return (self.evaluation or {}).get("macro_f1")


class SuggestionStatus(models.TextChoices):
    OK = "ok", _("已给出建议")
    NO_MODEL = "no_model", _("暂无可用模型")
    MODEL_ERROR = "model_error", _("模型故障")
    EMPTY_TEXT = "empty_text", _("内容为空")


class Outcome(models.TextChoices):
    PENDING = "pending", _("待派单")
    ACCEPTED = "accepted", _("采纳建议")
    OVERRIDDEN = "overridden", _("改派其他类别")
    UNASSISTED = "unassisted", _("无建议时人工选择")


class Suggestion(TimeStamped):
    """The model's top candidates for one case, and what the dispatcher finally chose.

    The case is referred to by `case_type` (the model label, e.g. "cases.case") and `case_id` as
    text, so this app does not depend on the case app's tables; a foreign key can replace the pair
    later without touching callers (they pass both through the services).
    """

    case_type = models.CharField(_("对象类型"), max_length=64)
    case_id = models.CharField(_("对象编号"), max_length=64)
    scope_key = models.CharField(max_length=20, blank=True, db_index=True)
    status = models.CharField(_("建议状态"), max_length=16, choices=SuggestionStatus.choices)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="suggestions"
    )
    candidates = models.JSONField(_("候选类别"), default=list, blank=True)  # [{"label", "confidence"}], best first
    final_label = models.CharField(_("最终类别"), max_length=64, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    chosen_rank = models.PositiveSmallIntegerField(_("采纳的名次"), null=True, blank=True)
    # Applied by the system under the category's auto-apply rule (the case app keeps the rules).
    auto_applied = models.BooleanField(_("自动采用"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("派单时间"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["case_type", "case_id"], name="dispatch_ai_one_suggestion_per_case"),
            models.CheckConstraint(
                condition=Q(outcome="pending") | ~Q(final_label=""), name="dispatch_ai_decided_has_label"
            ),
            models.CheckConstraint(
                condition=Q(chosen_rank__isnull=True) | Q(outcome="accepted"), name="dispatch_ai_rank_only_if_accepted"
            ),
        ]
        verbose_name = _("派单建议")

    def __str__(self):
        return f"{self.case_type}:{self.case_id}"

    @property
    def top_label(self) -> str:
        return self.candidates[0]["label"] if self.candidates else ""
