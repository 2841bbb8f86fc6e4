"""Keep open Home tabs up to date: every HOME_REFRESH_SECONDS, owe a redraw of each Home whose
content moved, for the people who opened theirs in the last day.

What moved is told by a fingerprint of a few cheap reads (bot.services.home.Home.fingerprint),
which is the redraw's dedupe key: a Home that shows the same owes nothing new, across restarts
too (the keys are in the outbox). Slack's views.publish is Tier 4 (about 100 a minute for the
whole workspace), so a round owes at most PER_ROUND redraws, the longest-unpublished Homes
first, and none for someone whose last redraw has not gone out yet (it will draw the latest).
Someone who never opened their Home gets nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.services.home import Home

logger = logging.getLogger(__name__)

HOME_REFRESH_SECONDS = 15.0
PER_ROUND = 20  # 80 a minute at most, under views.publish's Tier 4 with room for openings
VIEWERS_READ = 500  # a round looks at most at this many recent viewers


class HomeRefresh:
    def __init__(
        self,
        home: Home,
        *,
        wake_outbox: Callable[[], None] = lambda: None,
        per_round: int = PER_ROUND,
    ) -> None:
        self.home = home
        self.per_round = per_round
        self._wake_outbox = wake_outbox

    def run(self) -> int:
        """One round; returns how many redraws it owed."""
        viewers = self.home.viewers(VIEWERS_READ)
        if not viewers:
            return 0
        store = self.home.store
        waiting = store.home.waiting()
        team = self.home.team_marks()
        oldest_first = sorted(
            (v for v in viewers if v.user not in waiting), key=lambda v: v.published_at or 0.0
        )
        # Read before the write: the write transaction holds every other writer up.
        owed = [self.home.owed(v, self.home.fingerprint(v.user, team)) for v in oldest_first]
        added = store.home.owe_new(owed, self.per_round)
        if added:
            logger.debug("%d Home tab(s) to redraw", added)
            self._wake_outbox()
        return added
