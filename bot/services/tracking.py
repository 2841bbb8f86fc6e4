"""Status observations of our messages, from the poller or from a person's `/heynow status`.

Each is decided by bot.domain.tracking inside the store's write transaction, on the row as it is
then: a late RU seen after LU by another thread changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.domain import Status
from bot.domain.records import Message
from bot.domain.tracking import PollPolicy, after_failure, after_status
from storage import Store

logger = logging.getLogger(__name__)


class Tracking:
    def __init__(
        self,
        store: Store,
        policy: PollPolicy,
        *,
        wake_outbox: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self._wake_outbox = wake_outbox

    def observe(self, message_id: int, status: Status) -> Message | None:
        now = self.clock()
        after = self.store.messages.observe(
            message_id, lambda current: after_status(current, status, now, self.policy), now
        )
        self._wake_outbox()
        return after

    def failed(self, message_id: int, error: Exception, *, not_found: bool) -> None:
        """Hey Now did not answer, or does not know the message (404)."""
        now = self.clock()
        if not_found:
            logger.info("Hey Now does not know message #%s (404)", message_id)
        else:
            logger.warning("Status poll of message #%s failed: %s", message_id, error)
        self.store.messages.observe(
            message_id,
            lambda current: after_failure(current, now, self.policy, not_found=not_found),
            now,
        )
        self._wake_outbox()
