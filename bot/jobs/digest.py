"""The daily digest's clock: once today's digest is due, owe it (one outbox row a day).

Run every minute (a Periodic job). Once the local clock passes HEYNOW_DIGEST_TIME, every run
owes the same row, `digest:YYYY-MM-DD`: the outbox's unique dedupe key makes that one row
whatever the restarts or the processes, and bot.slack.digest_poster posts it. A process only
remembers the last day it owed, to spare the database a write a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from datetime import time as clock_time

from bot.config import Settings
from bot.domain.digest import due_day
from bot.domain.owed import digest
from bot.jobs.scheduler import Periodic
from storage import Store

logger = logging.getLogger(__name__)

RUN_SECONDS = 60


class DigestJob:
    def __init__(
        self,
        store: Store,
        *,
        channel: str,
        zone: str,
        at: clock_time,
        clock: Callable[[], float] = time.time,
        wake_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.channel = channel  # HEYNOW_NOTIFY_CHANNEL
        self.zone = zone  # HEYNOW_TIMEZONE
        self.at = at  # HEYNOW_DIGEST_TIME
        self.clock = clock
        self._wake_outbox = wake_outbox
        self._owed: date | None = None

    def run(self) -> date | None:
        """Owe today's digest if it is due (see bot.domain.digest.due_day: a day missed
        entirely is not posted later); the day owed, or None."""
        now = self.clock()
        day = due_day(now, self.zone, self.at)
        if day is None or day == self._owed:
            return None
        self.store.outbox.owe(digest(self.channel, day, now))
        self._owed = day
        logger.debug("The digest of %s is owed (a second time is no new row)", day)
        self._wake_outbox()
        return day


def digest_periodic(
    settings: Settings, store: Store, wake_outbox: Callable[[], None]
) -> list[Periodic]:
    """The digest's job, when notifications are on (HEYNOW_NOTIFY_CHANNEL) and the digest is
    not turned off (HEYNOW_DIGEST_TIME=off); none otherwise."""
    channel, at = settings.team.notify_channel, settings.team.digest_time
    if channel is None or at is None:
        return []
    job = DigestJob(
        store,
        channel=channel,
        zone=settings.timezone,
        at=at,
        wake_outbox=wake_outbox,
    )
    return [Periodic("digest", job.run, RUN_SECONDS)]
