"""Delivery of what mass sends sent: each recipient's status polled with a growing interval,
and the counts shown on the run's one summary, redrawn at most once per SUMMARY_SECONDS per
mass send (never a thread reply per recipient).

A poll cycle reads only the recipients that are due (an index on next_poll_at), so ten
thousand followed recipients cost what is due, not what is stored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot.domain import Status
from bot.domain.mass import MassRecipient
from bot.domain.owed import mass_update
from bot.domain.tracking import PollPolicy
from bot.heynow import HeyNowClient, HeyNowError, NotFound, PlatformRef
from storage import Store

logger = logging.getLogger(__name__)

BATCH = 500  # recipients polled per tick at most
CONCURRENCY = 8
SUMMARY_SECONDS = 10.0


class MassPoll:
    def __init__(
        self,
        store: Store,
        heynow: HeyNowClient,
        policy: PollPolicy,
        *,
        clock: Callable[[], float] = time.time,
        wake_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.heynow = heynow
        self.policy = policy
        self.clock = clock
        self._wake_outbox = wake_outbox
        self._pool = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="mass-poll")
        self._refs: dict[int, PlatformRef] = {}
        self._moved: dict[int, int] = {}  # request -> the slot its counts first moved in, undrawn

    def tick(self) -> int:
        due = self.store.mass.due_polls(self.clock(), BATCH)
        moved = {
            r.request_id for r, m in zip(due, self._pool.map(self._poll, due), strict=True) if m
        }
        now = self.clock()
        slot = int(now // SUMMARY_SECONDS)
        for request_id in moved:
            self._moved.setdefault(request_id, slot)
        # Owed once its slot is over, never ahead for later: a row due later holds up every
        # row behind it in the approval post's topic (a pause's redraw, the summary, the report).
        ended = {rid: s for rid, s in self._moved.items() if s < slot}
        for request_id, moved_in in ended.items():
            del self._moved[request_id]
            self.store.outbox.owe(mass_update(request_id, f"d{moved_in}", now, part="summary"))
        if ended:
            self._wake_outbox()
        return len(due)

    def _poll(self, recipient: MassRecipient) -> bool:
        """One status; True when it moved. Polls back off to max_interval, and end at read,
        at a 404, or past the give-up time."""
        try:
            status = Status.of(
                self.heynow.message_status(self._ref(recipient), recipient.id_message_hey or "")
            )
        except NotFound:
            return self.store.mass.observed(recipient, recipient.status, None, 0)
        except HeyNowError as exc:
            logger.info("Polling a mass recipient failed: %s", type(exc).__name__)
            status = recipient.status
        now = self.clock()
        interval = self._interval(recipient, moved=status.rank > recipient.status.rank)
        ended = (
            status is Status.READ or now - (recipient.sent_at or now) >= self.policy.give_up_after
        )
        return self.store.mass.observed(
            recipient, status, None if ended else now + interval, interval
        )

    def _interval(self, recipient: MassRecipient, *, moved: bool) -> float:
        current = recipient.poll_interval or self.policy.first_interval
        return self.policy.first_interval if moved else min(self.policy.max_interval, current * 2)

    def _ref(self, recipient: MassRecipient) -> PlatformRef:
        ref = self._refs.get(recipient.request_id)
        if ref is None:
            request = self.store.mass.get(recipient.request_id)
            assert request is not None  # a recipient's request is never deleted
            ref = request.ref
            self._refs[recipient.request_id] = ref
        return ref

    def close(self) -> None:
        self._pool.shutdown(wait=True)
