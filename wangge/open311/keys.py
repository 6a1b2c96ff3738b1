"""Open311 api_keys: issue (shown once), check, revoke. Each key belongs to a named client and a
region: it files requests and reads cases only there."""

import datetime

from django.db import transaction
from django.utils import timezone

from wangge.accounts.roles import MANAGE_USERS, require
from wangge.core import audit
from wangge.core.errors import DomainError
from wangge.core.scope import in_scope
from wangge.regions.models import Region

from .models import Open311Key

USE_STAMP_INTERVAL = datetime.timedelta(minutes=1)


@transaction.atomic
def key_create(*, actor, client: str, region_code: str, raw: str | None = None) -> tuple[Open311Key, str]:
    """A new api_key for `client`, limited to the region `region_code`; returns (key, raw value).
    Administrators (in their scope) or the system. `raw` fixes the value (the demo only)."""
    require(actor, MANAGE_USERS)
    client = (client or "").strip()
    if not client:
        raise DomainError("请填写客户端名称", field="client")
    if len(client) > 100:
        raise DomainError("客户端名称不能超过100字", field="client")
    region = Region.objects.filter(code=(region_code or "").strip()).first()
    if region is None:
        raise DomainError(f"区域代码 {region_code} 不存在", field="region_code")
    if actor is not None and not in_scope(actor, region.key):
        raise DomainError("该区域不在您的管辖范围内", field="region_code")
    raw = raw or Open311Key.new_raw()
    key = Open311Key(
        client=client,
        region_key=region.key,
        digest=Open311Key.digest_of(raw),
        prefix=raw[:9],
        created_by=actor if actor is not None and actor.pk else None,
    )
    key.save()
    audit.record(
        actor=actor,
        verb="open311.key_create",
        target=key,
        scope_key=region.key,
        after={"client": client, "region_key": region.key, "prefix": key.prefix},
    )
    return key, raw


@transaction.atomic
def key_revoke(*, actor, key: Open311Key) -> None:
    require(actor, MANAGE_USERS)
    if actor is not None and not in_scope(actor, key.region_key):
        raise DomainError("该密钥不在您的管辖范围内", field="key")
    Open311Key.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    audit.record(actor=actor, verb="open311.key_revoke", target=key, scope_key=key.region_key)


def key_check(raw: str | None) -> Open311Key | None:
    """The live key with this value, or None. Its `last_used_at` is brought up to date at most once a
    minute, so administrators can see which clients still call without a write on every request."""
    if not raw:
        return None
    key = Open311Key.objects.filter(digest=Open311Key.digest_of(raw.strip()), revoked_at__isnull=True).first()
    now = timezone.now()
    if key is not None and (key.last_used_at is None or now - key.last_used_at >= USE_STAMP_INTERVAL):
        Open311Key.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
