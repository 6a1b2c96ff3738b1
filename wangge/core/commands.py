"""Helpers shared by management commands: a request id per run, and domain errors printed as
a readable list instead of a traceback."""

from contextlib import contextmanager

from django.core.management.base import CommandError

from .context import reset_request_id, set_request_id
from .errors import DomainError


@contextmanager
def command_context(name: str):
    import uuid

    token = set_request_id(f"cmd:{name}:{uuid.uuid4().hex[:12]}")
    try:
        yield
    except DomainError as error:
        lines = [error.message]
        for detail in error.details:
            lines.append("  " + format_detail(detail))
        raise CommandError("\n".join(lines)) from None
    finally:
        reset_request_id(token)


def format_detail(detail: dict) -> str:
    if "line" in detail:
        return f"第{detail['line']}行 {detail.get('code', '')}：" + "；".join(detail["reasons"])
    if "grids" in detail:
        return "网格 " + "、".join(detail["grids"]) + "：" + detail["reason"]
    return (f"{detail['field']}：" if detail.get("field") else "") + detail.get("message", str(detail))
