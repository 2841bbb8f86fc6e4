"""The app's HTTP defences, in front of Bolt: see guard."""

from bot.web.guard import MAX_BODY_BYTES, SlackGuard

__all__ = ["MAX_BODY_BYTES", "SlackGuard"]
