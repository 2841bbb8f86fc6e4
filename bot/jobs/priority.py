"""Acks first: Slack gives up on a request after 3 s; background work can wait a moment.

The app's threads share one interpreter lock, so a burst of commands (50 people at once)
competes with the sends and posts that earlier commands started: measured on two cores, acks
took 2x as long as a bare Bolt app's while the background ran (bench/ack.py). So while requests
come in, the background runs at most `busy_slots` steps at once, all loops together; when no
request has ended for `settle` seconds, the loops run free. A step mostly waits on Hey Now or
Slack, so the background keeps moving while the acks keep the interpreter. `settle` is long on
purpose: requests queued in the server's sockets are invisible here, and a background let loose
in a short gap starves the server thread that would read them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class AckPriority:
    def __init__(
        self,
        *,
        busy_slots: int = 1,  # measured: 2 made acks 1.45x a bare app's, 1 makes them 1.2x
        settle: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.busy_slots = busy_slots
        self.settle = settle
        self._clock = clock
        self._in_flight = 0
        self._last_end = float("-inf")
        self._running: Counter[str] = Counter()
        self._lock = threading.Condition()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around the handling of one Slack request."""
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_end = self._clock()

    @contextmanager
    def step(self, loop: str) -> Iterator[None]:
        """Around one background step of `loop`: it waits while requests are answered and the
        busy slots are taken."""
        with self._lock:
            while not self._quiet() and sum(self._running.values()) >= self.busy_slots:
                self._lock.wait(timeout=self.settle)
            self._running[loop] += 1
        try:
            yield
        finally:
            with self._lock:
                self._running[loop] -= 1
                self._lock.notify()

    def _quiet(self) -> bool:
        return self._in_flight == 0 and self._clock() >= self._last_end + self.settle
