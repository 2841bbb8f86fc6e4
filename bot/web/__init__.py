"""The app's HTTP face: the router (/slack/events, /healthz) and the guard in front of Bolt."""

from bot.web.guard import MAX_BODY_BYTES, SlackGuard

__all__ = ["MAX_BODY_BYTES", "SlackGuard"]
