"""Idempotent intake: a request carrying an `Idempotency-Key` files at most one case.

The first request inserts a row for (owner, endpoint, key) in the same transaction that files the
case, and stores its answer there. A retry finds the row and gets the stored answer back. Two
requests with the same key at the same moment: the second one's INSERT waits on the unique index
until the first commits, then fails, and it replays the first one's answer. If the first fails
(a refusal rolls everything back), nothing is stored and a retry is processed afresh."""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from wangge.core.errors import Conflict, DomainError

from .models import IdempotentRequest

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,100}$")
HEADER = "Idempotency-Key"


class KeyReused(DomainError):
    """The key was used before with a different body: refuse, never replay the wrong answer."""

    status = 422
    code = "idempotency_key_reused"


@dataclass
class Outcome:
    status: int
    body: dict | list
    replayed: bool = False


def fingerprint(payload) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str | None) -> str:
    key = (key or "").strip()
    if key and not KEY_PATTERN.match(key):
        raise DomainError("Idempotency-Key 须为1至100个可见ASCII字符（建议使用UUID）", field=HEADER)
    return key


def _replay(found: IdempotentRequest, print_: str) -> Outcome:
    if found.fingerprint != print_:
        raise KeyReused(
            "该 Idempotency-Key 已用于另一内容不同的请求。重试时请原样重发；新的请求请使用新的键",
            field=HEADER,
        )
    return Outcome(found.status_code, found.response, replayed=True)


def run(*, owner: str, endpoint: str, key: str | None, payload, perform: Callable[[], tuple]) -> Outcome:
    """Call `perform()` -> (status, body, case) at most once per (owner, endpoint, key). Without a
    key, just call it. `payload` is what identifies the request's content (the parsed body)."""
    key = check_key(key)
    if not key:
        status, body, _case = perform()
        return Outcome(status, body)
    print_ = fingerprint(payload)
    lookup = IdempotentRequest.objects.filter(owner=owner, endpoint=endpoint, key=key)
    # No lookup first: the INSERT is the check (a retry fails on the unique index and replays).
    try:
        with transaction.atomic():
            record = IdempotentRequest.objects.create(
                owner=owner, endpoint=endpoint, key=key, fingerprint=print_, status_code=0
            )
            status, body, case = perform()
            IdempotentRequest.objects.filter(pk=record.pk).update(status_code=status, response=body, case=case)
    except IntegrityError:
        found = lookup.first()
        if found is None:  # the clash was elsewhere (e.g. a source reference filed at the same time)
            raise Conflict("同一请求正在被处理或已处理，请稍后查询结果") from None
        return _replay(found, print_)
    return Outcome(status, body)
