"""The outbox: posts every notice the Store says is owed, in order, once.

A notice is recorded in the same transaction as the status change that makes it owed, and marked
posted right after Slack accepts it; a crash in between is the only way a post can repeat, and a
failed post is retried on the next flush (every poller tick) instead of being lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from storage import Message, Notice, Store

logger = logging.getLogger(__name__)

# Errors after which posting to the command's channel cannot work: fall back to the user's DM.
CHANNEL_UNUSABLE = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
MAX_ATTEMPTS = 5


class Notifier:
    def __init__(
        self, store: Store, slack: WebClient, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.slack = slack
        self.clock = clock
        self._lock = threading.Lock()  # one flush at a time: two would post the same notice

    def flush(self, message_id: int | None = None) -> int:
        """Post what is owed (for one message, or all); returns how many posts succeeded."""
        posted = 0
        with self._lock:
            for notice in self.store.pending_notices(message_id=message_id):
                if self._post(notice):
                    posted += 1
        return posted

    def _post(self, notice: Notice) -> bool:
        message = notice.message
        try:
            if notice.kind == "announce":
                self._announce(message)
            elif message.thread is None:
                return False  # its announce has not gone out yet: keep the order
            elif notice.kind == "one_tick":
                self._refresh_status_line(message)
            else:
                channel, ts = message.thread
                self.slack.chat_postMessage(
                    channel=channel, thread_ts=ts, text=blocks.thread_update(notice.kind, message)
                )
                self._refresh_status_line(message)
        except SlackApiError as exc:
            code = exc.response.get("error", "unknown_error")
            abandon = notice.attempts + 1 >= MAX_ATTEMPTS
            logger.warning("Slack refused notice %s of #%s: %s", notice.kind, message.id, code)
            self.store.mark_notice_failed(message.id, notice.kind, code, abandon=abandon)
            return False
        except Exception as exc:  # network trouble: try again on the next flush
            logger.warning("Could not post notice %s of #%s: %s", notice.kind, message.id, exc)
            self.store.mark_notice_failed(
                message.id, notice.kind, type(exc).__name__, abandon=False
            )
            return False
        self.store.mark_notice_posted(message.id, notice.kind, self.clock())
        return True

    def _announce(self, message: Message) -> None:
        text, body = blocks.tracking_message(message)
        try:
            response = self.slack.chat_postMessage(
                channel=message.slack_channel, text=text, blocks=body
            )
        except SlackApiError as exc:
            if exc.response.get("error") not in CHANNEL_UNUSABLE:
                raise
            logger.info(
                "Cannot post in %s (%s); using the DM of %s",
                message.slack_channel,
                exc.response.get("error"),
                message.slack_user,
            )
            response = self.slack.chat_postMessage(
                channel=message.slack_user, text=text, blocks=body
            )
        self.store.set_tracking_post(message.id, response["channel"], response["ts"])

    def _refresh_status_line(self, message: Message) -> None:
        current = self.store.get_message(message.id) or message
        if current.thread is None:
            return
        text, body = blocks.tracking_message(current)
        try:
            self.slack.chat_update(
                channel=current.thread[0], ts=current.thread[1], text=text, blocks=body
            )
        except (
            SlackApiError
        ) as exc:  # the thread reply went out; a stale status line is not worth a retry
            logger.info(
                "Could not update the status line of #%s: %s", message.id, exc.response.get("error")
            )
