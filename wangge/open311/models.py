"""Intake bookkeeping: Open311 client keys, the requests they filed, and the stored answers that
make a retried intake request (same `Idempotency-Key`) return the first answer instead of filing
a second case."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped


class Open311Key(TimeStamped):
    """An api_key for one Open311 client (an app, a partner platform). Only a hash is stored; the
    key is shown once. Requests filed with it must lie under `region_key`, and it reads only cases
    there."""

    client = models.CharField(_("客户端名称"), max_length=100)
    region_key = models.CharField(max_length=17, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 接口密钥")

    def __str__(self):
        return f"{self.client} ({self.prefix}…)"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_raw() -> str:
        return "o311_" + secrets.token_urlsafe(24)


class Open311Request(models.Model):
    """A case filed through Open311: which key filed it, the token handed back, and the client's
    own account id."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="open311")
    key = models.ForeignKey(Open311Key, on_delete=models.PROTECT, related_name="requests")
    token = models.CharField(max_length=40, unique=True)
    account_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 请求")


class IdempotentRequest(models.Model):
    """The first answer to an intake request carrying an `Idempotency-Key`. `owner` names who sent
    it (a user, or an Open311 key), so two clients' keys never collide; `fingerprint` is a hash of
    the body, so the same key with a different body is refused instead of replayed."""

    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(default=dict)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等请求")
        constraints = [
            models.UniqueConstraint(fields=["owner", "endpoint", "key"], name="idempotent_request_unique_key")
        ]
