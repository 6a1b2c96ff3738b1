"""Suggesting at run time: the active model, loaded once per process, and `suggest`, which never
raises. Another process activating a version is noticed on the next call (one indexed query)."""

import hashlib
import logging
import threading
import time

from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _

from .classifier import Candidate, MessageClassifier, loads
from .models import ModelVersion, SuggestionStatus
from .text import prepare

logger = logging.getLogger(__name__)

# A version whose artefact failed to load is not retried on every call, only after this long.
RETRY_BROKEN_SECONDS = 60.0

MESSAGES = {
    SuggestionStatus.OK: "",
    SuggestionStatus.NO_MODEL: _("暂无可用的分类模型，请人工选择类别"),
    SuggestionStatus.MODEL_ERROR: _("分类模型暂时不可用，请人工选择类别"),
    SuggestionStatus.EMPTY_TEXT: _("内容为空，无法给出建议"),
}


class Suggestions(list):
    """The candidates, best first (a plain list of `Candidate`), plus why there are none.

    `status` is "ok", "no_model", "model_error" or "empty_text"; when it is not "ok" the list is
    empty and `message` says so in words a dispatcher understands.
    """

    def __init__(self, candidates=(), *, status: str = SuggestionStatus.OK, version_id: int | None = None):
        super().__init__(candidates)
        self.status = str(status)
        self.version_id = version_id

    @property
    def ok(self) -> bool:
        return self.status == SuggestionStatus.OK

    @property
    def message(self) -> str:
        return str(MESSAGES.get(self.status, ""))


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.key: tuple[int, str] | None = None
        self.model: MessageClassifier | None = None
        self.broken: dict[tuple[int, str], float] = {}

    def clear(self):
        with self.lock:
            self.key, self.model = None, None
            self.broken.clear()


_cache = _Cache()


def clear_cache() -> None:
    _cache.clear()


def _active_key() -> tuple[int, str] | None:
    row = ModelVersion.objects.filter(active=True).values_list("pk", "artefact_sha256").first()
    return (row[0], row[1]) if row else None


def active_model() -> tuple[int, MessageClassifier] | None:
    """(version id, model) of the active version, loading it if this process has not yet.
    Raises on a broken artefact; `suggest` turns that into a status."""
    key = _active_key()
    if key is None:
        return None
    with _cache.lock:
        if _cache.key == key and _cache.model is not None:
            return key[0], _cache.model
        failed_at = _cache.broken.get(key)
        if failed_at is not None and time.monotonic() - failed_at < RETRY_BROKEN_SECONDS:
            raise RuntimeError(f"dispatch model v{key[0]} failed to load")
        data = ModelVersion.objects.filter(pk=key[0]).values_list("artefact", flat=True).first()
        try:
            data = bytes(data or b"")
            if hashlib.sha256(data).hexdigest() != key[1]:
                raise ValueError("artefact checksum mismatch")
            model = loads(data)
        except Exception:
            _cache.broken[key] = time.monotonic()
            raise
        _cache.key, _cache.model = key, model
        return key[0], model


def suggest(*, text: str, top: int = 3) -> Suggestions:
    """The `top` most likely categories for a message. Never raises: with no model, a broken one or
    an unreachable database the result is empty and its `status` says why."""
    try:
        doc = prepare(text or "")
        if not doc.clean:
            return Suggestions(status=SuggestionStatus.EMPTY_TEXT)
        loaded = active_model()
        if loaded is None:
            return Suggestions(status=SuggestionStatus.NO_MODEL)
        version_id, model = loaded
        return Suggestions(model.top(doc, top), version_id=version_id)
    except DatabaseError:
        logger.exception("dispatch suggestion: database unavailable")
        return Suggestions(status=SuggestionStatus.MODEL_ERROR)
    except Exception:
        logger.exception("dispatch suggestion: model failed")
        return Suggestions(status=SuggestionStatus.MODEL_ERROR)


__all__ = ["Candidate", "Suggestions", "suggest", "active_model", "clear_cache"]
