"""The service the handlers call: send, status, history, contact and agenda, in Slack-free terms.

Input checks live here (not in handlers) so that the slash command and the send modal refuse the
same things with the same words.
"""

from __future__ import annotations

import logging
import math
import threading
import unicodedata
from dataclasses import dataclass

from bot.core import Core
from bot.heynow import (
    Contact,
    DeliveryUnknown,
    HeyNowError,
    NotFound,
    PlatformRef,
)
from bot.heynow.channels import normalise_client_id, platform_of
from storage import Message

logger = logging.getLogger(__name__)

AGENDA_PAGE_SIZE = 15  # a page is 3-4 blocks and well under Slack's 3000-character section limit
AGENDA_CACHE_SECONDS = 60  # paging through an agenda must not download it for every click
HISTORY_SIZE = 10


class InputError(ValueError):
    """The person's input cannot be used; the message says what to do instead.

    `field` names the input at fault (platform, client, text) so a modal can mark it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SlackOrigin:
    """Who asked, where, and Slack's own id of the request (its retries carry the same one)."""

    team_id: str | None
    channel_id: str
    user_id: str
    request_key: str


@dataclass(frozen=True)
class SendRequest:
    origin: SlackOrigin
    ref: PlatformRef
    client_id: str
    text: str
    validate: bool


@dataclass(frozen=True)
class StatusAnswer:
    status: str
    ref: PlatformRef
    message_id: str
    message: Message | None  # ours, when the id is one the app sent


@dataclass(frozen=True)
class AgendaPage:
    contacts: list[Contact]
    ref: PlatformRef
    query: str
    page: int
    pages: int
    total: int


class Messaging:
    def __init__(
        self,
        core: Core,
        *,
        default_platform: PlatformRef | None,
        default_region: str,
    ) -> None:
        self.core = core
        self.default_platform = default_platform
        self.default_region = default_region
        self._agenda_cache: dict[PlatformRef, tuple[float, list[Contact]]] = {}
        self._agenda_lock = threading.Lock()

    # -- input ----------------------------------------------------------------------------

    def platform(self, typed: str | None) -> PlatformRef:
        if typed:
            try:
                return PlatformRef.parse(typed)
            except ValueError as exc:
                raise InputError(str(exc), "platform") from None
        if self.default_platform is None:
            raise InputError(
                "No default platform is configured: name one as CHANNEL:PLATFORM "
                "(for example `1:59899000001`), or ask an admin to set HEYNOW_DEFAULT_PLATFORM.",
                "platform",
            )
        return self.default_platform

    def client_id(self, ref: PlatformRef, typed: str) -> str:
        try:
            return normalise_client_id(ref.channel, typed, self.default_region)
        except ValueError as exc:
            raise InputError(str(exc), "client") from None

    def prepare_send(
        self, origin: SlackOrigin, platform: str | None, client: str, text: str, *, validate: bool
    ) -> SendRequest:
        """Check everything that can be checked before Hey Now is asked."""
        ref = self.platform(platform)
        if not ref.channel.sends_single_messages:
            raise InputError(
                f"{ref.channel.label} does not take single messages in Hey Now's API (only WhatsApp, "
                "Messenger and Twitter do). Choose another platform.",
                "platform",
            )
        if not client.strip():
            raise InputError("Say who to send to: `/heynow send CLIENT TEXT`.", "client")
        client_id = self.client_id(ref, client)
        text = text.strip()
        if not text:
            raise InputError(
                "The message is empty: write the text after the client, e.g. `/heynow send 091000001 Hello!`",
                "text",
            )
        limit = ref.channel.text_limit
        if len(text) > limit:
            raise InputError(
                f"The message has {len(text)} characters; {ref.channel.label} takes at most {limit}. "
                "Shorten it or split it in two.",
                "text",
            )
        return SendRequest(
            origin=origin, ref=ref, client_id=client_id, text=text, validate=validate
        )

    # -- send -----------------------------------------------------------------------------

    def send(self, request: SendRequest) -> Message | None:
        """Send once; None when Slack's retry of a request already handled.

        Raises HeyNowError subclasses; DeliveryUnknown leaves the row as `unknown`.
        """
        origin = request.origin
        message_id = self.core.store.claim_send(
            {
                "request_key": origin.request_key,
                "team_id": origin.team_id,
                "slack_channel": origin.channel_id,
                "slack_user": origin.user_id,
                "channel_id": request.ref.channel.value,
                "platform_id": request.ref.platform_id,
                "client_id": request.client_id,
                "text": request.text,
                "validate": int(request.validate),
                "created_at": self.core.clock(),
            }
        )
        if message_id is None:
            logger.info("Ignoring a repeat of request %s", origin.request_key)
            return None
        try:
            hey_id = self.core.heynow.send_message(
                request.ref, request.client_id, request.text, validate=request.validate
            )
        except HeyNowError as exc:
            state = "unknown" if isinstance(exc, DeliveryUnknown) else "rejected"
            self.core.store.mark_failed(message_id, state, str(exc))
            raise
        now = self.core.clock()
        self.core.store.mark_sent(message_id, hey_id, now, self.core.tracker.first_poll_at(now))
        self._name_client(message_id, request.ref, request.client_id)  # before the channel post
        self.core.notifier.flush(message_id)
        return self.core.store.get_message(message_id)

    def _name_client(self, message_id: int, ref: PlatformRef, client_id: str) -> None:
        """Best effort: the channel post names the client when the agenda knows them."""
        try:
            name = self.core.heynow.contact(ref, client_id).name
        except HeyNowError:
            return
        if name:
            self.core.store.set_client_name(message_id, name)

    # -- status and history ---------------------------------------------------------------

    def status(self, team_id: str | None, platform: str | None, typed_id: str) -> StatusAnswer:
        """A live status; for one of our messages it also feeds the tracker (and so the thread)."""
        ours = self._find_ours(team_id, typed_id.strip())
        if ours is not None and platform is None:
            if ours.id_message_hey is None:
                return StatusAnswer(ours.status, platform_of(ours), "", ours)
            ref = platform_of(ours)
            status = self.core.heynow.message_status(ref, ours.id_message_hey)
            if ours.send_state == "sent":
                self.core.tracker.observe(ours, status)
                self.core.notifier.flush(ours.id)
            return StatusAnswer(
                status, ref, ours.id_message_hey, self.core.store.get_message(ours.id)
            )
        if typed_id.lstrip("#").isdigit() and platform is None:
            raise InputError(
                f"There is no message #{typed_id.lstrip('#')} of this app. `/heynow status` lists yours."
            )
        ref = self.platform(platform)
        return StatusAnswer(self.core.heynow.message_status(ref, typed_id), ref, typed_id, None)

    def _find_ours(self, team_id: str | None, typed_id: str) -> Message | None:
        number = typed_id.lstrip("#")
        message = (
            self.core.store.get_message(int(number))
            if number.isdigit() and len(number) < 12
            else None
        )
        message = message or self.core.store.find_by_hey_id(typed_id)
        return message if message is not None and message.team_id == team_id else None

    def history(self, team_id: str | None, user_id: str) -> list[Message]:
        return self.core.store.recent_for_user(team_id, user_id, HISTORY_SIZE)

    # -- contacts -------------------------------------------------------------------------

    def contact(self, platform: str | None, client: str) -> tuple[Contact, PlatformRef]:
        ref = self.platform(platform)
        return self.core.heynow.contact(ref, self.client_id(ref, client)), ref

    def agenda(self, platform: str | None, query: str, page: int = 1) -> AgendaPage:
        ref = self.platform(platform)
        matches = [c for c in self._agenda(ref) if _matches(c, query)]
        pages = max(1, math.ceil(len(matches) / AGENDA_PAGE_SIZE))
        page = min(max(1, page), pages)
        start = (page - 1) * AGENDA_PAGE_SIZE
        return AgendaPage(
            matches[start : start + AGENDA_PAGE_SIZE], ref, query, page, pages, len(matches)
        )

    def _agenda(self, ref: PlatformRef) -> list[Contact]:
        now = self.core.clock()
        with self._agenda_lock:
            cached = self._agenda_cache.get(ref)
        if cached and now - cached[0] < AGENDA_CACHE_SECONDS:
            return cached[1]
        contacts = sorted(self.core.heynow.agenda(ref), key=lambda c: _fold(c.name or c.client_id))
        with self._agenda_lock:
            self._agenda_cache[ref] = (now, contacts)
        return contacts


def _fold(text: str) -> str:
    """Case- and accent-insensitive form: `Pérez` is found by `perez`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _matches(contact: Contact, query: str) -> bool:
    if not query.strip():
        return True
    haystack = _fold(" ".join([contact.name or "", contact.client_id, *contact.phones]))
    return all(word in haystack for word in _fold(query).split())


__all__ = [
    "AgendaPage",
    "InputError",
    "Messaging",
    "NotFound",
    "SendRequest",
    "SlackOrigin",
    "StatusAnswer",
]
