"""The send queue: workers claim queued sends (with a lease) and run them at Hey Now.

When the database fails after Hey Now answered, the sender is told at once (directly, since
the outbox is in that database) and the answer is kept here to be written as soon as the
database takes writes again (for up to KEEP_SECONDS). Meanwhile the lease sweep may have closed
the send as unknown; the answer, once written, corrects that, and the sender is told.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable

from bot.domain.records import Message
from bot.services.sending import Sending, SendResult

logger = logging.getLogger(__name__)

KEEP_SECONDS = 600  # how long an unwritten answer is kept for the database to come back


class SendQueue:
    def __init__(
        self,
        sending: Sending,
        *,
        owner: str,
        lease_seconds: float,
        unrecorded: Callable[[Message, SendResult], None],
    ) -> None:
        """`unrecorded` tells a sender directly what the database could not keep."""
        self.sending = sending
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._unrecorded = unrecorded
        self._unwritten: list[tuple[Message, SendResult, float]] = []
        self._lock = threading.Lock()
        self._claims = itertools.count(1)

    def step(self) -> bool:
        self._write_what_waits()
        store, clock = self.sending.store, self.sending.clock
        token = f"{self.owner}:{next(self._claims)}"  # per claim: sibling threads share owner
        message = store.messages.claim_send(token, clock(), self.lease_seconds)
        if message is None:
            return False
        result = self.sending.run(message, token)
        if not result.recorded:
            self._unrecorded(message, result)
            with self._lock:
                self._unwritten.append((message, result, clock()))
        return True

    def _write_what_waits(self) -> None:
        with self._lock:
            waiting, self._unwritten = self._unwritten, []
        if not waiting:
            return
        now = self.sending.clock()
        still = []
        for message, result, since in waiting:
            if now - since > KEEP_SECONDS:
                logger.error("Gave up writing what Hey Now said of send #%s", message.id)
                continue
            if not self.sending.record(message, message.lease_owner or "", result).recorded:
                still.append((message, result, since))
        with self._lock:
            self._unwritten.extend(still)
