"""Photos on cases, stored through Django's storage API (a local folder in the demo, S3-compatible
storage in production). The type is read from the file's first bytes, never trusted from the client."""

import os
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import DomainError

from .models import Attachment

MAX_PER_ACTION = 9
STAGED_LIFETIME = timedelta(days=1)


def max_bytes() -> int:
    return int(settings.WANGGE_ATTACHMENT_MAX_BYTES)


def sniff(head: bytes) -> str | None:
    """The image type the bytes really are: JPEG, PNG or WebP; anything else is refused."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _size_of(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, os.SEEK_END)
        size = file.tell()
    file.seek(0)
    return size


def _new_attachment(*, file, actor, now) -> Attachment:
    name = os.path.basename(getattr(file, "name", "") or "")[:120]
    size = _size_of(file)
    if size == 0:
        raise DomainError(_("照片 %(name)s 是空文件") % {"name": name}, field="photos")
    if size > max_bytes():
        raise DomainError(
            _("照片 %(name)s 大小为 %(size)d KB，超过上限 %(limit)d KB")
            % {"name": name, "size": size // 1024, "limit": max_bytes() // 1024},
            field="photos",
        )
    head = file.read(16)
    file.seek(0)
    content_type = sniff(head)
    if content_type is None:
        raise DomainError(_("照片 %(name)s 不是 JPEG、PNG 或 WebP 图片") % {"name": name}, field="photos")
    attachment = Attachment(content_type=content_type, size=size, original_name=name, uploaded_by=actor, created_at=now)
    data = file.read()
    attachment.file.save("photo", ContentFile(data), save=False)
    attachment.save()
    return attachment


def stage_upload(*, actor, file) -> Attachment:
    """Keep an uploaded photo until an action attaches it (the API's two-step upload)."""
    return _new_attachment(file=file, actor=actor, now=timezone.now())


def staged(*, actor, ids) -> list[Attachment]:
    """The caller's own unattached uploads with these ids, in the order given."""
    ids = [int(i) for i in ids]
    if len(ids) > MAX_PER_ACTION:
        raise DomainError(_("每次最多上传 %(n)d 张照片") % {"n": MAX_PER_ACTION}, field="photos")
    found = {
        a.pk: a
        for a in Attachment.objects.filter(
            pk__in=ids,
            case__isnull=True,
            uploaded_by=actor,
            created_at__gte=timezone.now() - STAGED_LIFETIME,
        )
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise DomainError(
            _("照片 %(ids)s 不存在、已过期或已被使用，请重新上传") % {"ids": "、".join(missing)}, field="photos"
        )
    return [found[i] for i in ids]


def attach(*, case, event, actor, photos, now) -> list[Attachment]:
    """Attach photos (staged uploads or file objects) to a case and the event they document."""
    photos = list(photos or [])
    if len(photos) > MAX_PER_ACTION:
        raise DomainError(_("每次最多上传 %(n)d 张照片") % {"n": MAX_PER_ACTION}, field="photos")
    attached = []
    for photo in photos:
        if isinstance(photo, Attachment):
            updated = Attachment.objects.filter(pk=photo.pk, case__isnull=True).update(case=case, event=event)
            if not updated or (actor is not None and photo.uploaded_by_id != actor.pk):
                raise DomainError(_("照片 %(id)s 不存在或已被使用，请重新上传") % {"id": photo.pk}, field="photos")
            photo.case, photo.event = case, event
            attached.append(photo)
        else:
            attachment = _new_attachment(file=photo, actor=actor, now=now)
            attachment.case, attachment.event = case, event
            attachment.save(update_fields=["case", "event"])
            attached.append(attachment)
    return attached


def purge_stale_uploads(*, now=None) -> int:
    """Delete uploads no action claimed within a day (files first, then rows)."""
    now = now or timezone.now()
    stale = list(Attachment.objects.filter(case__isnull=True, created_at__lt=now - STAGED_LIFETIME))
    for attachment in stale:
        attachment.file.delete(save=False)
    Attachment.objects.filter(pk__in=[a.pk for a in stale], case__isnull=True).delete()
    return len(stale)
