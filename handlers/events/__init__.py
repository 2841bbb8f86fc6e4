"""Events: `app_home_opened`, when someone opens the app's Home tab (or its Messages tab).

Bolt acks an event before its listener runs; the listener only records the viewer and owes the
Home's redraw (one transaction), which the outbox publishes: nothing waits on Slack here.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.services.home import Home
from storage import StorageUnavailable

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)


def home_opened(event: dict[str, Any], context: BoltContext) -> None:
    """Only the Home tab is ours to draw; the Messages tab is the DM, which needs nothing."""
    if event.get("tab") != "home" or not event.get("user"):
        return
    home: Home = context["home"]
    # Slack sends the view it shows when one was published before; without it, whatever the
    # app last published is gone (a reinstall), so the next view goes out even if unchanged.
    seen_before = isinstance(event.get("view"), dict)
    key = str(event.get("event_ts") or "")
    try:
        home.opened(str(event["user"]), context["texts"], seen_before=seen_before, key=key)
    except StorageUnavailable:
        logger.warning("Could not record the Home tab of %s: the database fails", event["user"])
