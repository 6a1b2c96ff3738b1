"""Spreading an import's per-row Python work over two processes.

A large import spends seconds of pure Python per 100,000 rows checking rows and sealing their
personal data, one core's worth, while a second core idles. `in_halves` runs a function over the
first half of a list in this process and over the second half in a forked child, which sees the
same rows and lookups without copying them and sends its result back through a pipe (`marshal`:
plain values only).

The child never touches the database: every connection it inherited is shared with this process,
so any query in it is refused on the spot (the child then exits saying so); the child never
closes them either (`os._exit`), so this process's sessions stay intact. Whatever goes wrong with
the child — it cannot be started, it queries, raises, crashes, takes far longer than this
process took for its own half, or sends something that does not load — this process runs the
second half itself and logs a warning: the result never depends on the child, only the time
does. Small lists, `WANGGE_IMPORT_PROCESSES = 1` and systems without `fork` run in one process.
"""

import logging
import marshal
import os
import select
import signal
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

# The child's exit status says why it gave up.
_DONE, _FAILED, _QUERIED = 0, 1, 3
# How long the child may still run once this process has done its own half: as long again,
# three times over, and never less than this many seconds.
_PATIENCE, _MIN_WAIT = 3.0, 30.0


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
    try:
        read_end, write_end = os.pipe()
    except OSError as error:
        logger.warning("import: no pipe for a second process (%s); checking in one", error)
        return work(items), []
    try:
        pid = os.fork()
    except OSError as error:
        os.close(read_end)
        os.close(write_end)
        logger.warning("import: no second process (%s); checking in one", error)
        return work(items), []
    if pid == 0:
        _child(work, second, read_end, write_end)  # never returns
    os.close(write_end)
    started = time.monotonic()
    try:
        mine = work(first)
    except BaseException:
        os.close(read_end)
        _stop(pid)
        raise
    wait = max(_MIN_WAIT, _PATIENCE * (time.monotonic() - started))
    data, status = _collect(pid, read_end, wait)
    if status == _DONE and data:
        try:
            return mine, marshal.loads(data)
        except (ValueError, EOFError, TypeError):
            status = "unreadable result"
    reason = {_QUERIED: "it queried the database", _FAILED: "it raised an error"}.get(status, status)
    logger.warning("import: the second process gave up (%s); checking its half here", reason)
    return mine, work(second)


def _collect(pid: int, read_end: int, wait: float) -> tuple[bytes, object]:
    """The child's bytes and exit status; a child still running after `wait` seconds, or one whose
    answer cannot be read, is stopped."""
    chunks, deadline = [], time.monotonic() + wait
    try:
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            ready = select.poll()  # poll, not select: any file number, however many files are open
            ready.register(pipe, select.POLLIN)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not ready.poll(left * 1000):
                    _stop(pid)
                    return b"", f"no answer within {wait:.0f} s"
                chunk = pipe.read(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError as error:
        _stop(pid)
        return b"", f"its answer could not be read: {error}"
    try:
        _pid, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return b"", "its exit status was lost"
    return b"".join(chunks), os.waitstatus_to_exitcode(status)


def _child(work: Callable, items: Sequence, read_end: int, write_end: int) -> None:
    status = _FAILED
    try:
        os.close(read_end)
        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(_refuse))
            data = marshal.dumps(work(items))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
        status = _DONE
    except DatabaseInChild:
        status = _QUERIED
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
