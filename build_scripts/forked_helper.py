"""A forked helper process that takes a share of one phase of a full build.

MkDocs converts every page's Markdown, one after the other, before it renders the first; a
full build forks a helper that converts the second share of the pages meanwhile
(site/hooks/mkdocs_adapter.py), so both cores work. Forked, the helper starts with
everything the build has set up (configuration, catalogue, files, navigation) without
copying it. It sends back what it made as pickled records, in order, through an unlinked
spool file; the parent reads them once the helper has ended.

What a helper sends is only ever a head start: a helper that fails, is killed or stops
half-way sends fewer records (a record cut off by a crash is dropped), and the parent does
the pages it did not get itself, exactly as a build without a helper would. So the release
is the same whatever happens to the helper.

Log records the helper's work emits are captured with each record (``LogCapture``) and
emitted again in the parent (``replay``): warnings count in a strict build, and the
messages reach the same handlers as in a build without a helper.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import signal
import tempfile
import traceback
from collections.abc import Callable, Iterator
from typing import Any


def die_with_parent(parent: int) -> None:
    """A forked child must not outlive the build that forked it: it inherited the build's
    locks (the build lock's descriptor, the database connection holding the publishing
    lock), so an orphan would keep every later publish waiting."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the check below still covers a dead parent
        pass
    if os.getppid() != parent:
        os._exit(1)


class ForkedHelper:
    """``ForkedHelper(work)`` forks; the child runs ``work(send)`` and exits (``os._exit``:
    nothing of the parent's runs there on the way out). ``records()`` waits for the child
    and yields what it sent; ``stop()`` kills it (a failed parent must not leave it
    running)."""

    def __init__(self, work: Callable[[Callable[[Any], None]], None]) -> None:
        self._spool = tempfile.TemporaryFile(prefix="dj-build-helper-")
        parent = os.getpid()
        # The garbage collector writes into every object it visits: either process collecting
        # would copy the memory both still share (the whole build at 100,000 pages).
        gc.freeze()
        try:
            self.pid: int | None = os.fork()
        except OSError:
            gc.unfreeze()
            self._spool.close()
            raise
        if self.pid == 0:  # the helper
            code = 1
            try:
                die_with_parent(parent)
                sent = 0

                def send(record: Any) -> None:
                    nonlocal sent
                    pickle.dump(record, self._spool, protocol=pickle.HIGHEST_PROTOCOL)
                    sent += 1
                    if sent == 1:  # (crash tests kill a helper after its first: failpoints)
                        self._spool.flush()

                work(send)
                code = 0
            except BaseException:
                traceback.print_exc()  # the parent does the rest itself; this says why
            finally:
                try:
                    self._spool.flush()  # what it finished is sent whatever happened after
                finally:
                    os._exit(code)

    def records(self) -> Iterator[Any]:
        """What the helper sent, in order, once it has ended, up to where it stopped."""
        self._wait()
        spool = self._spool
        spool.seek(0)
        try:
            while True:
                try:
                    yield pickle.load(spool)
                except EOFError:
                    return
                except (pickle.UnpicklingError, ValueError, AttributeError, ImportError, IndexError):
                    return  # the last record, cut off where the helper was killed
        finally:
            spool.close()

    def stop(self) -> None:
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._wait()
        self._spool.close()

    def _wait(self) -> None:
        if self.pid:
            os.waitpid(self.pid, 0)
            self.pid = None
            gc.unfreeze()


class LogCapture:
    """In a helper: every log record any logger hands to its handlers is kept instead, with
    its message formatted (the arguments need not pickle), until ``take()``."""

    def __init__(self) -> None:
        self._records: list[logging.LogRecord] = []
        captured = self._records

        def keep(logger: logging.Logger, record: logging.LogRecord) -> None:
            record.msg, record.args = record.getMessage(), None
            if record.exc_info:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
                record.exc_info = None
            captured.append(record)

        # The helper is a throwaway fork: patching the class there touches no other process.
        logging.Logger.callHandlers = keep  # type: ignore[method-assign,assignment]

    def take(self) -> list[logging.LogRecord]:
        records = self._records[:]
        self._records.clear()
        return records


def replay(records: list[logging.LogRecord]) -> None:
    """Emit a helper's records in this process, through the loggers they were made for."""
    for record in records:
        logging.getLogger(record.name).handle(record)
