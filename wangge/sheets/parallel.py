"""Spreading an import's per-row Python work over two processes.

A large import spends seconds of pure Python per 100,000 rows checking rows and sealing their
personal data, one core's worth, while a second core idles. `in_halves` runs a function over the
first half of a list in this process and over the second half in a forked child, which sees the
same rows and lookups without copying them and sends its result back through a pipe (`marshal`:
plain values only).

The child never touches the database: every connection it inherited is shared with this process,
so any query in it is refused on the spot (a `DatabaseInChild` inside the child, which then
exits); the child never closes them either (`os._exit`), so this process's sessions stay intact.
Whatever goes wrong in the child — a query, an exception, a crash, a result that does not load —
this process simply runs the second half itself: the result never depends on the child, only the
time does. Small lists, `WANGGE_IMPORT_PROCESSES = 1` and systems without `fork` run in one
process.
"""

import logging
import marshal
import os
import signal
from collections.abc import Callable, Sequence
from contextlib import ExitStack

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


class DatabaseInChild(Exception):
    """Raised in the forked child when the work tries to query the database."""


def _refuse(execute, sql, params, many, context):
    raise DatabaseInChild(sql[:80])


def processes() -> int:
    return int(getattr(settings, "WANGGE_IMPORT_PROCESSES", 2))


def min_items() -> int:
    return int(getattr(settings, "WANGGE_IMPORT_PARALLEL_MIN_ROWS", 20_000))


def in_halves(work: Callable[[Sequence], list], items: Sequence) -> tuple[list, list]:
    """(work(first half), work(second half)), the second computed in a child process when the
    list is long enough. `work` must return plain values that `marshal` can carry."""
    if len(items) < max(min_items(), 2) or processes() < 2 or not hasattr(os, "fork"):
        return work(items), []
    half = len(items) // 2
    first, second = items[:half], items[half:]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(work, second, read_end, write_end)  # never returns
    os.close(write_end)
    try:
        mine = work(first)
    except BaseException:
        os.close(read_end)
        _stop(pid)
        raise
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    if status == 0 and data:
        try:
            return mine, marshal.loads(data)
        except (ValueError, EOFError, TypeError):
            pass
    logger.info("import worker process did not finish (status %s): checking its half here", status)
    return mine, work(second)


def _child(work: Callable, items: Sequence, read_end: int, write_end: int) -> None:
    status = 1
    try:
        os.close(read_end)
        with ExitStack() as stack:
            for connection in connections.all(initialized_only=True):
                stack.enter_context(connection.execute_wrapper(_refuse))
            data = marshal.dumps(work(items))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        status = 0
    except BaseException:  # noqa: BLE001 — whatever it was, the parent does this half itself
        pass
    finally:
        os._exit(status)  # no cleanup: the connections and files belong to the parent


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


__all__ = ["in_halves", "processes", "min_items", "DatabaseInChild"]
