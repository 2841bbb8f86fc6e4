"""The send queue: workers claim queued sends (with a lease) and run them at Hey Now."""

from __future__ import annotations

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

    def step(self) -> bool:
        store, clock = self.sending.store, self.sending.clock
        message = store.messages.claim_send(self.owner, clock(), self.lease_seconds)
        if message is None:
            return False
        result = self.sending.run(message, self.owner)
        if not result.recorded:
            self._unrecorded(message, result)
        return True
