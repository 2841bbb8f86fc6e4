"""Claim loops: a few threads that each take one piece of due work from SQLite and do it.

A loop thread sleeps until woken (a listener recorded a send) or until `idle_seconds` pass (work
owed by another process, or whose back-off ended); ownership is the lease written by the claim,
never this process's memory, so two processes on one database never do the same work twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

logger = logging.getLogger(__name__)


class ClaimLoop:
    def __init__(
        self,
        name: str,
        step: Callable[[], bool],
        *,
        threads: int,
        idle_seconds: float,
        gate: Callable[[str], AbstractContextManager[None]] = lambda _name: nullcontext(),
    ) -> None:
        """`step` claims and does one piece of work; it returns False when nothing was due.
        `gate` may hold a step back (bot.jobs.priority: acks first)."""
        self.name = name
        self._step = step
        self._gate = gate
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{n}", daemon=True)
            for n in range(threads)
        ]
        self._idle_seconds = idle_seconds
        self._wake = threading.Condition()
        self._stopping = threading.Event()

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """Something is owed: one idle thread takes it now (a busy one finds it next)."""
        with self._wake:
            self._wake.notify()

    @property
    def alive(self) -> bool:
        return all(t.is_alive() for t in self._threads) and not self._stopping.is_set()

    def stop(self, timeout: float = 15.0) -> None:
        """Let each thread finish the piece it holds: a send in flight must be recorded."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with self._gate(self.name):
                    worked = self._step()
            except Exception:  # a loop must never die; the work's lease brings it back
                logger.exception("%s: a piece of work failed", self.name)
                worked = False
            if not worked:
                with self._wake:
                    if not self._stopping.is_set():
                        self._wake.wait(self._idle_seconds)
