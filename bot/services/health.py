"""Hey Now's health, from every call the app makes: one alert when an outage starts, one when
it ends, whatever the number of calls that fail in between (or of processes that see them).

The client tells this of each call once (its retries are part of it). Three failed calls in a
row are an outage; it ends when Hey Now has answered for `recovery_seconds` (60) without a
failure, so a Hey Now that fails and answers by turns is one outage, not a post a minute.
What it last knew is kept in memory, so a healthy call costs no database write; a change is one
compare-and-set in storage (storage.team), which owes the team's alert in the same transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.domain import Health, TeamNotice
from bot.domain.owed import Owed, team_post
from storage import Store

logger = logging.getLogger(__name__)

FAILURES_FOR_OUTAGE = 3  # in a row: one lost answer is a blip, three are an outage

# What each change of health tells the team (nothing: a change nobody needs to hear of).
NEWS: dict[tuple[Health, Health], TeamNotice] = {
    (Health.UP, Health.DOWN): TeamNotice.OUTAGE,
    (Health.DOWN, Health.UP): TeamNotice.RECOVERED,
    (Health.UP, Health.REFUSED): TeamNotice.LOGIN_REFUSED,
    (Health.DOWN, Health.REFUSED): TeamNotice.LOGIN_REFUSED,
    (Health.REFUSED, Health.UP): TeamNotice.LOGIN_OK,
}


class HeyNowHealth:
    def __init__(
        self,
        store: Store,
        notify_channel: str | None,
        *,
        wake_outbox: Callable[[], None],
        clock: Callable[[], float] = time.time,
        recovery_seconds: float = 60.0,
    ) -> None:
        self.store = store
        self.recovery_seconds = recovery_seconds
        self._answering_since: float | None = None  # answers without a failure, since
        self.channel = notify_channel
        self.clock = clock
        self._wake_outbox = wake_outbox
        self._lock = threading.Lock()
        self._seen = store.team.health().health
        self._failures = 0

    @property
    def seen(self) -> Health:
        return self._seen

    def answered(self) -> None:
        with self._lock:
            self._failures = 0
            if self._seen is Health.UP:
                return
            now = self.clock()
            self._answering_since = self._answering_since or now
            if self._seen is Health.DOWN and now - self._answering_since < self.recovery_seconds:
                return  # answering again, but not for long enough to say it is back
        self._change(Health.UP, "")

    def failed(self, why: str) -> None:
        with self._lock:
            self._failures += 1
            self._answering_since = None
            if self._seen is not Health.UP or self._failures < FAILURES_FOR_OUTAGE:
                return
        self._change(Health.DOWN, why)

    def refused(self) -> None:
        with self._lock:
            if self._seen is Health.REFUSED:
                return
        self._change(Health.REFUSED, "401")

    def refresh(self) -> Health:
        """What the store says now (another process may have seen the change first)."""
        seen = self.store.team.health().health
        with self._lock:
            self._seen = seen
        return seen

    def _change(self, to: Health, detail: str) -> None:
        now = self.clock()
        changed = self.store.team.change_health(
            to, now, detail, lambda was: self._alert(was.health, to, was.since, now, detail)
        )
        with self._lock:
            self._seen = to
            self._answering_since = None
        if changed is None:
            return
        logger.warning("Hey Now is now %s (was %s) %s", to, changed.health, detail)
        if NEWS.get((changed.health, to)) and self.channel:
            self._wake_outbox()

    def _alert(
        self, was: Health, to: Health, since: float | None, now: float, detail: str
    ) -> Owed | None:
        notice = NEWS.get((was, to))
        if notice is None or self.channel is None:
            return None
        return team_post(
            f"health:{notice}:{now:.3f}",
            notice,
            self.channel,
            now,
            since=since,
            detail=detail,
        )
