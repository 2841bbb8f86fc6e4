"""The send queue: workers claim queued sends (with a lease) and run them at Hey Now.

When the database fails after Hey Now answered, the sender is told at once (directly, since
the outbox is in that database) and the answer is kept here to be written as soon as the
database takes writes again, while the lease lasts; after that, the lease sweep ends the send
as unknown, which is still true.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.domain.records import Message
from bot.services.sending import Sending, SendResult


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
        self._unwritten: list[tuple[Message, SendResult]] = []
        self._lock = threading.Lock()

    def step(self) -> bool:
        self._write_what_waits()
        store, clock = self.sending.store, self.sending.clock
        message = store.messages.claim_send(self.owner, clock(), self.lease_seconds)
        if message is None:
            return False
        result = self.sending.run(message, self.owner)
        if not result.recorded:
            self._unrecorded(message, result)
            with self._lock:
                self._unwritten.append((message, result))
        return True

    def _write_what_waits(self) -> None:
        with self._lock:
            waiting, self._unwritten = self._unwritten, []
        if not waiting:
            return
        now = self.sending.clock()
        still = []
        for message, result in waiting:
            if (message.lease_expires or 0) <= now:
                continue  # the sweep decides now: unknown
            if not self.sending.record(message, self.owner, result).recorded:
                still.append((message, result))
        with self._lock:
            self._unwritten.extend(still)
