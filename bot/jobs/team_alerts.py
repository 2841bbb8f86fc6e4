"""Problems, once each: a look every few seconds for what went wrong since the last one, posted
to HEYNOW_NOTIFY_CHANNEL with what to do.

- A send Hey Now refused, or whose answer was lost; a message still at ? or one tick past
  HEYNOW_STUCK_MINUTES; a mass send that paused itself.
- Each is written to a ledger (team_alerts) in the transaction that owes its post, so it is
  posted once across looks, restarts and processes.
- While Hey Now is down or refuses the credentials, the sends it fails are not posted one by
  one: the outage's own alert covers them, and its recovery notice says how many there were.
  A failed send is looked at SETTLE_SECONDS after its sender was told, so that the first
  failures of an outage (before three in a row make it one) are seen as part of it.
- One look posts at most MAX_POSTS problems one by one, and one post for the rest.
- Problems from before the first look with a notify channel, or older than an hour (the
  notifications were off), are history, not news.
- Hey Now's health is probed while it is not up, so that its recovery is noticed even when
  nobody sends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.domain import Health, TeamNotice
from bot.domain.owed import Owed, team_post
from bot.heynow import HeyNowClient, HeyNowError
from bot.services.health import HeyNowHealth
from storage import Store
from storage.team import Problem

logger = logging.getLogger(__name__)

MAX_POSTS = 10  # problems posted one by one per look; beyond, one post says how many more
LOOK_LIMIT = 500  # problems read per look; the next look takes the rest
SETTLE_SECONDS = 30  # a failed send waits this long: is it the start of an outage?
OUTAGE_MARGIN = 60  # sends failed this long before an outage was recognised are part of it
# What an outage causes, and its alerts cover: a mass send pausing itself, or a message stuck,
# is still news of its own (an approver must resume it; the client did not get it).
OUTAGE_FAILURES = {TeamNotice.REJECTED.value, TeamNotice.UNKNOWN.value}


class TeamAlerts:
    def __init__(
        self,
        store: Store,
        health: HeyNowHealth,
        *,
        channel: str,
        stuck_after: float,
        wake_outbox: Callable[[], None],
        clock: Callable[[], float] = time.time,
        settle: float = SETTLE_SECONDS,
    ) -> None:
        self.store = store
        self.health = health
        self.channel = channel
        self.stuck_after = stuck_after
        self.settle = settle
        self.clock = clock
        self._wake_outbox = wake_outbox

    def tick(self) -> None:
        now = self.clock()
        since = self.store.team.alerts_since(now)
        found = self.store.team.problems(since, now, self.stuck_after, self.settle, LOOK_LIMIT)
        if not found:
            return
        health = self.store.team.health()
        folded = [
            p for p in found if p.notice in OUTAGE_FAILURES and health.was_out(p.at, OUTAGE_MARGIN)
        ]
        if folded:
            self.store.team.tell(folded, now, None, lambda _n: _never(), MAX_POSTS)
        problems = [p for p in found if p not in folded]
        owed = self.store.team.tell(
            problems,
            now,
            lambda p: self._post(p, now),
            lambda count: self._the_rest(count, now),
            MAX_POSTS,
        )
        if owed:
            self._wake_outbox()

    def _post(self, problem: Problem, now: float) -> Owed:
        return team_post(
            f"problem:{problem.key}",
            TeamNotice(problem.notice),
            self.channel,
            now,
            message=problem.message_id,
            mass=problem.request_id,
            detail=problem.detail,
        )

    def _the_rest(self, count: int, now: float) -> Owed:
        return team_post(
            f"problems:{now:.6f}", TeamNotice.MORE_PROBLEMS, self.channel, now, count=count
        )


def _never() -> Owed:
    raise AssertionError("folded problems owe nothing")


def probe(health: HeyNowHealth, heynow: HeyNowClient) -> None:
    """While Hey Now is not up, log in now and then: its answer (told to the health by the
    client) ends the outage, even when nobody sends anything."""
    if health.refresh() is Health.UP:
        return
    try:
        heynow.login()
    except HeyNowError as exc:
        logger.info("Hey Now is still not answering as it should: %s", exc)
