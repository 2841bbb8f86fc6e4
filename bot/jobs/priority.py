"""Acks first: Slack gives up on a request after 3 s; background work can wait a moment.

The app's threads share one interpreter lock, so a burst of commands (50 people at once)
competes with the sends and posts that earlier commands started: measured on two cores, acks
took 2x as long as a bare Bolt app's while the background ran (bench/ack.py). So while requests
come in, background steps wait until none has ended for `settle` seconds, except one step every
`trickle` seconds, so that under sustained load the background still moves (and never all its
threads at once, which would stall the very acks they waited for). `settle` is long on purpose:
requests queued in the server's sockets are invisible here, and a background let loose in a
short gap starves the server thread that would read them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class AckPriority:
    def __init__(
        self,
        *,
        trickle: float = 0.05,
        settle: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.trickle = trickle
        self.settle = settle
        self._clock = clock
        self._in_flight = 0
        self._last_end = float("-inf")
        self._next_turn = float("-inf")
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

    def wait_for_quiet(self) -> None:
        """Before a background step: let the requests being answered go first."""
        with self._lock:
            while True:
                now = self._clock()
                quiet_at = self._last_end + self.settle
                if self._in_flight == 0 and now >= quiet_at:
                    return
                if now >= self._next_turn:  # the background's turn: one step goes
                    self._next_turn = now + self.trickle
                    return
                wake = self._next_turn if self._in_flight else min(quiet_at, self._next_turn)
                self._lock.wait(timeout=wake - now)
