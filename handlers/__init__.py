"""Slack listeners, one module per kind (as in Slack's Bolt starter template).

Handlers translate Slack payloads into calls on bot services, which reach them through Bolt's
context (set by handlers.middleware.provide); they never import the app, nor talk to Hey Now.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext, Respond

from bot.i18n import current, speaking
from bot.slack.explain import oops
from handlers import actions, commands, events, shortcuts, views
from handlers.middleware import SeenRequests, drop_retries, provide

logger = logging.getLogger(__name__)


def register_listeners(app: App, services: dict[str, Any]) -> None:
    app.use(provide(services))
    app.use(drop_retries(SeenRequests()))
    commands.register(app)
    actions.register(app)
    views.register(app)
    shortcuts.register(app)
    events.register(app)
    app.error(on_error)


def on_error(
    error: Exception, body: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """The last resort: log it whole, tell the person in plain words, never show a trace."""
    logger.exception(
        "Unhandled error for a %s request", body.get("type") or "slash command", exc_info=error
    )
    if body.get("response_url"):
        try:
            with speaking(context.get("texts") or current()):  # the reader's, if known yet
                respond(text=oops(), response_type="ephemeral")
        except Exception:
            logger.exception("Could not tell the user about the error")
