"""Who reads an answer: their Slack language and time zone, so that each person is answered in
their own (users.info with include_locale, scope users:read; Tier 4, cached for an hour).

Asked before the ack of a command, so the call is short (READER_TIMEOUT_SECONDS) and never
fatal: when Slack does not answer, or answers without a locale, the person reads the
configured fallback (HEYNOW_LANGUAGE, HEYNOW_TIMEZONE), and Slack is not asked again about them
for a minute, so that a slow Slack does not slow every command.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.i18n import Texts

logger = logging.getLogger(__name__)

KNOWN_SECONDS = 3600  # a person changes their Slack language rarely
UNKNOWN_SECONDS = 60  # Slack did not say: ask again soon, but not on every command
READER_TIMEOUT_SECONDS = 2  # within Slack's 3 s for the ack


class Readers:
    def __init__(
        self,
        slack: WebClient,
        fallback: Texts,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slack = slack
        self.fallback = fallback
        self._known: TTLCache[str, Texts] = TTLCache(4096, KNOWN_SECONDS, timer=clock)
        self._unknown: TTLCache[str, Texts] = TTLCache(4096, UNKNOWN_SECONDS, timer=clock)
        self._lock = threading.Lock()

    def of(self, user_id: str | None) -> Texts:
        """The texts `user_id` reads: their Slack locale and zone, else the fallback's."""
        if not user_id:
            return self.fallback
        with self._lock:
            cached = self._known.get(user_id) or self._unknown.get(user_id)
        if cached is not None:
            return cached
        texts, known = self._ask(user_id)
        with self._lock:
            (self._known if known else self._unknown)[user_id] = texts
        return texts

    def _ask(self, user_id: str) -> tuple[Texts, bool]:
        try:
            answer = self.slack.users_info(user=user_id, include_locale=True)
        except (SlackApiError, SlackClientError, OSError) as exc:
            logger.warning(
                "users.info for %s failed (%s); using the fallback language", user_id, _why(exc)
            )
            return self.fallback, False
        user = answer.get("user") or {}
        locale, zone = user.get("locale"), user.get("tz")
        texts = Texts.for_slack(
            locale if isinstance(locale, str) else None,
            zone if isinstance(zone, str) else None,
            self.fallback,
        )
        return texts, bool(locale)


def _why(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return type(exc).__name__
