"""What one status observation means for a message: its next poll, and the Slack posts it owes.

Pure policy over the Store, shared by the poller and by `/heynow status` (a live look-up counts as
a poll, so the thread hears about RU or LU whichever of them sees it first).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from storage import Message, Store

logger = logging.getLogger(__name__)

ORDER = ("?", "RS", "RU", "LU")


def rank(status: str) -> int:
    return ORDER.index(status) if status in ORDER else 0


def _ending(status: str) -> str:
    """The outcome of a message no longer checked: it reached the phone, or it never did."""
    return "delivered" if rank(status) >= rank("RU") else "stuck"


@dataclass(frozen=True)
class PollPolicy:
    """From HEYNOW_POLL_SECONDS, HEYNOW_POLL_MAX_SECONDS, HEYNOW_STUCK_MINUTES, HEYNOW_POLL_GIVE_UP_HOURS."""

    first_interval: float
    max_interval: float
    stuck_after: float
    give_up_after: float


class Tracker:
    def __init__(
        self, store: Store, policy: PollPolicy, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock

    def first_poll_at(self, now: float) -> float:
        return now + self.policy.first_interval

    def observe(self, message: Message, status: str) -> None:
        """Record `status`; statuses only move forward, so an older answer is ignored."""
        now = self.clock()
        if rank(status) < rank(message.status):
            status = message.status
        owe: list[str] = []
        if status == "RS":
            owe.append("one_tick")  # no thread reply: the channel post's status line moves
        if rank(status) >= rank("RU"):
            owe.append("delivered")
        if status == "LU":
            owe.append("read")
        changed = status != message.status
        interval = self._next_interval(message, changed)
        next_poll_at: float | None = now + interval
        outcome = None
        age = now - (message.sent_at or message.created_at)
        if status == "LU":
            next_poll_at, outcome = None, "read"
        elif age >= self.policy.give_up_after:
            next_poll_at, outcome = None, _ending(status)
            owe.append("gave_up")
        elif rank(status) < rank("RU") and age >= self.policy.stuck_after:
            owe.append("stuck")  # owed once: notices are keyed by (message, kind)
        if message.next_poll_at is None and message.outcome is not None:
            next_poll_at, outcome = None, message.outcome  # a finished message stays finished
        self.store.record_status(
            message.id,
            status,
            now,
            next_poll_at=next_poll_at,
            poll_interval=interval,
            outcome=outcome,
            owe=tuple(owe),
        )

    def poll_failed(self, message: Message, error: Exception) -> None:
        """Hey Now did not answer: back off, and give up at the same deadline as for silence."""
        now = self.clock()
        age = now - (message.sent_at or message.created_at)
        logger.warning("Status poll of message #%s failed: %s", message.id, error)
        if age >= self.policy.give_up_after:
            self.store.stop_polling(message.id, _ending(message.status), now, owe=("gave_up",))
            return
        interval = self._next_interval(message, changed=False)
        self.store.record_poll_failure(message.id, now, now + interval, interval)

    def _next_interval(self, message: Message, changed: bool) -> float:
        if changed or not message.poll_interval:
            return self.policy.first_interval
        return min(message.poll_interval * 2, self.policy.max_interval)
