"""Sending: a send is recorded before the ack, then run by a worker that holds its lease.

`enqueue` is all a listener does (one SQLite transaction, so the ack stays immediate and a
crash after the ack loses nothing); `run` is what a worker does with a claimed send. Neither
posts to Slack: what the sender and the channel are owed is written to the outbox, in the same
transaction as the state it follows from.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain import SenderNotice, SendState
from bot.domain.records import Message
from bot.heynow import DeliveryUnknown, HeyNowClient, HeyNowError
from bot.heynow.channels import platform_of
from bot.i18n import Texts
from bot.services.contacts import Contacts
from bot.services.inputs import SendRequest
from storage import StorageUnavailable, Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    """What became of a claimed send. `recorded` is False when Hey Now answered but the
    database could not take the answer: the worker then tells the sender directly, and
    `record` tries again while the lease lasts."""

    state: SendState
    hey_id: str | None = None
    error: HeyNowError | None = None
    recorded: bool = True


def failure_params(error: HeyNowError) -> dict[str, object]:
    """What the sender's note needs to explain a Hey Now failure in plain words later."""
    return {
        "error": type(error).__name__,
        "status_code": getattr(error, "status_code", None),
        "words": getattr(error, "vendor_words", None),  # Hey Now's own, shown in its words
    }


class Sending:
    def __init__(
        self,
        store: Store,
        heynow: HeyNowClient,
        contacts: Contacts,
        *,
        first_poll_seconds: float,
        name_wait_seconds: float,
        wake_queue: Callable[[], None],
        wake_outbox: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.heynow = heynow
        self.contacts = contacts
        self.first_poll_seconds = first_poll_seconds
        self.name_wait_seconds = name_wait_seconds
        self.clock = clock
        self._wake_queue = wake_queue
        self._wake_outbox = wake_outbox

    def enqueue(self, request: SendRequest, sender: Texts) -> int | None:
        """Record the send, with the language and zone its `sender` reads; None when the same
        request was recorded before (a Slack retry, a form submitted twice). Raises
        StorageUnavailable: then nothing was recorded or sent."""
        origin = request.origin
        message_id = self.store.messages.enqueue(
            {
                "request_key": origin.request_key,
                "team_id": origin.team_id,
                "slack_channel": origin.channel_id,
                "slack_user": origin.user_id,
                "response_url": origin.response_url,
                "channel_id": request.ref.channel.value,
                "platform_id": request.ref.platform_id,
                "client_id": request.client_id,
                "text": request.text,
                "validate": int(request.validate),
                "created_at": self.clock(),
                "locale": sender.locale,
                "zone": sender.zone,
            }
        )
        if message_id is None:
            logger.info("Ignoring a repeat of request %s", origin.request_key)
        else:
            self._wake_queue()
        return message_id

    def run(self, message: Message, owner: str) -> SendResult:
        """Send a claimed message once. Sends are never retried blindly: a lost answer is
        recorded as unknown and the sender is asked to check."""
        ref = platform_of(message)
        try:
            hey_id = self.heynow.send_message(
                ref, message.client_id, message.text, validate=bool(message.validate)
            )
        except DeliveryUnknown as exc:
            return self.record(message, owner, SendResult(SendState.UNKNOWN, error=exc))
        except HeyNowError as exc:
            return self.record(message, owner, SendResult(SendState.REJECTED, error=exc))
        return self.record(message, owner, SendResult(SendState.SENT, hey_id))

    def record(self, message: Message, owner: str, result: SendResult) -> SendResult:
        """Write what Hey Now answered, with what it owes the channel or the sender."""
        try:
            if result.state is SendState.SENT and result.hey_id:
                self._record_sent(message, owner, result.hey_id)
            elif result.error is not None:
                self._record_failed(message, owner, result.state, result.error)
        except StorageUnavailable:
            logger.error(
                "Send #%s (%s, %s) could not be recorded: the database is failing",
                message.id,
                result.state,
                result.hey_id or type(result.error).__name__,
            )
            return SendResult(result.state, result.hey_id, result.error, recorded=False)
        return SendResult(result.state, result.hey_id, result.error)

    def _record_sent(self, message: Message, owner: str, hey_id: str) -> None:
        now = self.clock()
        kept = self.store.messages.mark_sent(
            message,
            owner,
            hey_id,
            now,
            first_poll_at=now + self.first_poll_seconds,
            announce_at=now + self.name_wait_seconds,
        )
        if not kept:
            logger.warning("Message #%s was sent after its lease ran out", message.id)
            return
        self._announce(message)

    def _announce(self, message: Message) -> None:
        """Name the client in the channel post, then let it go (a failure here only means an
        unnamed post, which the held announce row posts by itself)."""
        name = self.contacts.name(platform_of(message), message.client_id)
        try:
            self.store.messages.name_and_announce(message.id, name, self.clock())
        except StorageUnavailable:
            logger.warning("Could not name the client of #%s: the database is failing", message.id)
        self._wake_outbox()

    def _record_failed(
        self, message: Message, owner: str, state: SendState, error: HeyNowError
    ) -> None:
        logger.info("Send #%s: %s (%s)", message.id, state, type(error).__name__)
        notice = SenderNotice.UNKNOWN if state is SendState.UNKNOWN else SenderNotice.REJECTED
        self.store.messages.mark_failed(
            message, owner, state, str(error), self.clock(), notice, failure_params(error)
        )
        self._wake_outbox()
