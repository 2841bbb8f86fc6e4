"""The outbox's Home rows: views.publish of one person's Home tab.

Each is drawn when it goes out, from the store as it is then, so a redraw that waited behind a
rate limit shows the latest, and the ones queued behind it find nothing new to show: a view
whose digest equals the one last published is not published again (Slack's views.publish is
Tier 4, and every person's Home shares it). A 429 pauses the method for everyone's Home
(bot.slack.poster maps HOME rows to `method:views.publish`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.domain import OutboxState
from bot.domain.records import OutboxRow
from bot.services.home import Home
from bot.slack.explain import not_a_sender
from bot.slack.home_blocks import home_view

if TYPE_CHECKING:
    from bot.slack.poster import Poster

logger = logging.getLogger(__name__)

PAUSE_KEY = "method:views.publish"
# Slack will not take this Home whatever the app does: the Home tab is off in the app's
# settings, the person is gone, or the token is not a bot's.
CANNOT_PUBLISH = {"not_enabled", "user_not_found", "not_allowed_token_type", "invalid_arguments"}


def digest(view: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()


class HomePosts:
    def __init__(self, poster: Poster, home: Home) -> None:
        self.poster = poster
        self.store = poster.store
        self.home = home

    def deliver(self, row: OutboxRow) -> None:
        """Called by the poster in the row's language (its payload's locale and zone)."""
        user = row.user or ""
        viewer = self.store.home.viewer(user)
        if viewer is None:
            self.store.outbox.set_aside(row, OutboxState.SUPERSEDED)
            return
        view = self.draw(user)
        drawn = digest(view)
        if drawn == viewer.shown:  # nothing changed since the last publish
            self.store.outbox.set_aside(row, OutboxState.SUPERSEDED)
            return
        try:
            self.poster.call("views_publish", PAUSE_KEY, user_id=user, view=view)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error not in CANNOT_PUBLISH:
                raise  # a 5xx or another failure: the poster backs off and tries again
            logger.warning("Slack refuses the Home tab of %s: %s", user, error)
            self.poster.give_up(row, error)
            return
        self.store.home.published(user, drawn, self.poster.clock())
        self.poster.done(row, None, None)

    def draw(self, user: str) -> dict[str, Any]:
        mass = self.poster.mass
        shows = self.home.shows(user)
        refusal = "" if shows.may_send else not_a_sender(self.home.permissions)
        return home_view(
            shows, mass.rate, mass.labels, simulated=self.poster.simulated, not_a_sender=refusal
        )
