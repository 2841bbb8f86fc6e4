"""New contacts: every HEYNOW_AGENDA_POLL_MINUTES, each platform's agenda is compared with the
snapshot of the last look, and each client who wrote to it for the first time is posted to
HEYNOW_NOTIFY_CHANNEL.

- The first look at a platform only takes the snapshot: a new install posts nothing.
- The agenda streams in and is compared a batch at a time (storage.team.take_in), so a
  50,000-contact agenda is never held whole, and a kill -9 mid-agenda posts no one twice.
- One look posts at most MAX_POSTS contacts one by one; the rest are told in one post, so a
  platform that comes back with thousands of contacts does not flood the channel.
- A platform is claimed with a lease, so two processes never compare the same agenda at once;
  the lease of a process that is gone (a kill -9, a restart) is taken over at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from bot.domain import TeamNotice
from bot.domain.owed import new_contact_post, team_post
from bot.heynow import HeyNowClient, HeyNowError
from bot.heynow.channels import PlatformRef
from bot.heynow.client import Contact
from bot.jobs.leases import owner_gone
from storage import Store
from storage.team import AgendaLook

logger = logging.getLogger(__name__)

MAX_POSTS = 20  # new contacts posted one by one per look; beyond, one post says how many more
LEASE_SECONDS = 600  # longer than a large agenda takes to stream
RETRY_SECONDS = 60  # after Hey Now failed to give an agenda


class AgendaWatch:
    def __init__(
        self,
        store: Store,
        heynow: HeyNowClient,
        platforms: Sequence[PlatformRef],
        *,
        channel: str,
        every_seconds: float,
        owner: str,
        wake_outbox: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.heynow = heynow
        self.platforms = {str(p): p for p in platforms}
        self.channel = channel
        self.every = every_seconds
        self.owner = owner
        self.clock = clock
        self._wake_outbox = wake_outbox

    def tick(self) -> None:
        """Look at every platform that is due (one at a time)."""
        while self.platforms:
            look = self.store.team.claim_agenda(
                list(self.platforms),
                self.clock(),
                self.every,
                self.owner,
                LEASE_SECONDS,
                gone=lambda held_by: owner_gone(held_by, self.owner),
            )
            if look is None:
                return
            self.look(look)

    def look(self, look: AgendaLook) -> None:
        ref = self.platforms[look.platform]
        counts = {"new": 0, "posted": 0}

        def compare(batch: list[Contact]) -> None:
            taken = self.store.team.take_in(
                look,
                [(c.client_id, c.name) for c in batch],
                self.clock(),
                lambda contact_id: new_contact_post(contact_id, self.channel, self.clock()),
                MAX_POSTS - counts["posted"],
            )
            counts["new"] += taken.new
            counts["posted"] += taken.posted
            if taken.posted:
                self._wake_outbox()

        try:
            total = self.heynow.agenda_batches(ref, compare)
        except HeyNowError as exc:
            logger.warning("The agenda of %s could not be read: %s", ref, exc)
            self.store.team.agenda_failed(look, self.owner, self.clock() + RETRY_SECONDS)
            return
        self._tell_the_rest(look, counts["new"] - counts["posted"])
        self.store.team.agenda_taken(look, self.owner, self.clock(), total)
        if look.first:
            logger.info("Took the first snapshot of %s's agenda: %d contacts", ref, total)
        elif counts["new"]:
            logger.info("%d new contact(s) on %s", counts["new"], ref)

    def _tell_the_rest(self, look: AgendaLook, more: int) -> None:
        if more <= 0 or look.first:
            return
        now = self.clock()
        self.store.outbox.owe(
            team_post(
                f"contacts:{look.platform}:{now:.3f}",
                TeamNotice.MORE_CONTACTS,
                self.channel,
                now,
                platform=look.platform,
                count=more,
            )
        )
        self._wake_outbox()
