"""Processes a build forks to share its work on the machine's cores.

A child is forked in the middle of a build, runs the rest of the same code path on its
share, and ends by handing back one picklable answer (``Share.answer``); it never returns
into the caller's code after that. A child inherits the build's locks (the build lock's
descriptor, the database connection that holds the publishing lock), so it dies with the
build that forked it: an orphan would keep every later publish waiting.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
from dataclasses import dataclass, field
from typing import Any, NoReturn


class ChildLost(Exception):
    """A child ended without handing back its answer (killed, or out of memory)."""


def die_with_parent(parent: int) -> None:
    """Make this (forked) process end when `parent` does."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the check below still covers a dead parent
        pass
    if os.getppid() != parent:
        os._exit(1)


@dataclass
class _Child:
    pid: int
    answers: int  # the read end of its pipe


@dataclass
class Share:
    """This process's part of a forked piece of work: ``index`` 0 is the process that forked
    (it holds ``children``), 1..n a child (it holds ``_writer``)."""

    index: int
    count: int
    children: list[_Child] = field(default_factory=list)
    _writer: int | None = None

    @property
    def is_child(self) -> bool:
        return self.index != 0

    def answer(self, value: Any) -> NoReturn:
        """In a child: hand `value` back and end the process at once (no atexit handler, no
        ``finally`` of the code that forked: those belong to the build's own process)."""
        assert self._writer is not None, "only a child answers"
        code = 0
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(self._writer, "wb") as out:
                out.write(data)
        except BaseException:  # the parent then reports the child as lost
            code = 70
        finally:
            sys.stderr.flush()
            os._exit(code)

    def collect(self) -> list[Any]:
        """In the forking process: every child's answer, in order (each child is reaped).
        Raises ChildLost for a child that ended without one; the others are then killed."""
        answers = []
        try:
            for child in self.children:
                with os.fdopen(child.answers, "rb") as pipe:
                    child.answers = -1
                    data = pipe.read()
                _pid, status = os.waitpid(child.pid, 0)
                child.pid = 0
                if not data:
                    raise ChildLost(f"进程 {child.pid or _pid} 未交回结果就退出了（{_describe(status)}）")
                answers.append(pickle.loads(data))
        finally:
            self.abandon()
        return answers

    def abandon(self) -> None:
        """In the forking process: kill and reap the children still running (the build failed
        on this side)."""
        for child in self.children:
            if child.answers >= 0:
                os.close(child.answers)
                child.answers = -1
            if child.pid:
                try:
                    os.kill(child.pid, signal.SIGKILL)
                    os.waitpid(child.pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
                child.pid = 0
        self.children = []


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"信号 {os.WTERMSIG(status)}"
    return f"退出码 {os.waitstatus_to_exitcode(status)}"


def fork(count: int) -> Share:
    """Split this process into `count` (this one included) and return each one's share.

    Objects the processes share are frozen out of the garbage collector first: a collection
    in a child would otherwise write to every object's header and copy the whole heap."""
    if count <= 1:
        return Share(0, 1)
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    gc.freeze()
    share = Share(0, count)
    try:
        for index in range(1, count):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read_end)
                for sibling in share.children:
                    os.close(sibling.answers)
                die_with_parent(parent)
                return Share(index, count, _writer=write_end)
            os.close(write_end)
            share.children.append(_Child(pid, read_end))
    except BaseException:
        share.abandon()
        raise
    finally:
        if os.getpid() == parent:
            gc.unfreeze()
    return share
