"""The status poll: asks Hey Now about the sent messages that are due, a few at a time."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from bot.domain import Status
from bot.domain.records import Message
from bot.heynow import HeyNowClient, HeyNowError, NotFound
from bot.heynow.channels import platform_of
from bot.services.tracking import Tracking

logger = logging.getLogger(__name__)

BATCH = 200  # messages taken per tick at most
CONCURRENCY = 4  # status calls in flight at once: polite to Hey Now, fast enough for a team


class StatusPoll:
    def __init__(self, heynow: HeyNowClient, tracking: Tracking, *, lease_seconds: float) -> None:
        self.heynow = heynow
        self.tracking = tracking
        self.lease_seconds = lease_seconds
        self._pool = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="poll")

    def tick(self) -> int:
        """Poll every due message; returns how many were polled."""
        store, clock = self.tracking.store, self.tracking.clock
        due = store.messages.claim_polls(clock(), BATCH, self.lease_seconds)
        list(self._pool.map(self.poll_one, due))
        return len(due)

    def poll_one(self, message: Message) -> None:
        ref = platform_of(message)
        try:
            status = self.heynow.message_status(ref, message.id_message_hey or "")
        except NotFound as exc:
            self.tracking.failed(message.id, exc, not_found=True)
            return
        except HeyNowError as exc:
            self.tracking.failed(message.id, exc, not_found=False)
            return
        self.tracking.observe(message.id, Status.of(status))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
