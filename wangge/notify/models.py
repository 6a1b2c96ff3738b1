from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message to one user, always shown in the app; other channels deliver copies of it."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类别"), max_length=40, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
        ]
        verbose_name = _("通知")

    def __str__(self):
        return self.title


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败待重试")
    DEAD = "dead", _("放弃")


class Delivery(models.Model):
    """The outbox: one copy of a notification to send over one outside channel.

    The address is read from the recipient when sending, so the outbox holds no copy of phones
    or email addresses. A worker claims a row by moving `next_attempt_at` past the claim lease
    and setting `claim_token`; a worker that dies mid-send thus releases its rows by itself."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    provider_id = models.CharField(_("服务商编号"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("通知投递")
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_one_per_channel"),
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="delivery_channel_known"),
            models.CheckConstraint(condition=models.Q(status__in=DeliveryStatus.values), name="delivery_status_known"),
            models.CheckConstraint(
                condition=~models.Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED])
                | models.Q(next_attempt_at__isnull=False),
                name="delivery_open_has_due_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self):
        return f"{self.channel}#{self.notification_id}"
