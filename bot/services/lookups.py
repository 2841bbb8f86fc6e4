"""The read-only commands: status, contact and agenda, answered to the one who asked (history:
bot.services.history)."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from bot.domain import SendState, Status
from bot.domain.records import Message
from bot.heynow import Contact, HeyNowClient, NotFound, PlatformRef
from bot.heynow.channels import platform_of
from bot.i18n import say
from bot.services.contacts import Contacts
from bot.services.inputs import InputError, Inputs
from bot.services.permissions import Permissions
from bot.services.tracking import Tracking
from storage import Store

AGENDA_PAGE_SIZE = 15  # a page is 3-4 blocks and well under Slack's 3000-character section limit


@dataclass(frozen=True)
class StatusAnswer:
    status: Status
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


class Lookups:
    def __init__(
        self,
        store: Store,
        heynow: HeyNowClient,
        inputs: Inputs,
        contacts: Contacts,
        tracking: Tracking,
        permissions: Permissions,
    ) -> None:
        self.store = store
        self.heynow = heynow
        self.inputs = inputs
        self.contacts = contacts
        self.tracking = tracking
        self.permissions = permissions

    def status(
        self, team_id: str | None, user_id: str, platform: str | None, typed_id: str
    ) -> StatusAnswer:
        """A live status; for one of our messages it also counts as a poll (and so moves the
        thread along), decided like any other observation. One of ours is shown to its sender,
        and to others only when it was posted in a public channel."""
        ours = self._find_ours(team_id, typed_id.strip())
        if ours is not None and platform is None and not self.permissions.may_see(ours, user_id):
            raise InputError(say("lookup.not_yours", id=ours.id))
        if ours is not None and platform is None:
            ref = platform_of(ours)
            if ours.id_message_hey is None:
                return StatusAnswer(ours.status, ref, "", ours)
            try:
                status = Status.of(self.heynow.message_status(ref, ours.id_message_hey))
            except NotFound as exc:
                if ours.send_state is SendState.SENT:
                    self.tracking.failed(ours.id, exc, not_found=True)
                raise
            after = (
                self.tracking.observe(ours.id, status)
                if ours.send_state is SendState.SENT
                else None
            )
            return StatusAnswer(status, ref, ours.id_message_hey, after or ours)
        if typed_id.lstrip("#").isdigit() and platform is None:
            raise InputError(say("lookup.no_such_message", id=typed_id.lstrip("#")))
        ref = self.inputs.platform(platform)
        status = Status.of(self.heynow.message_status(ref, typed_id))
        return StatusAnswer(status, ref, typed_id, None)

    def _find_ours(self, team_id: str | None, typed_id: str) -> Message | None:
        """Ours, and of this workspace: a number from another team is not found."""
        number = typed_id.lstrip("#")
        message = (
            self.store.messages.get(int(number))
            if number.isascii() and number.isdigit() and len(number) < 12
            else None
        )
        message = message or self.store.messages.find_by_hey_id(typed_id)
        return message if message is not None and message.team_id == team_id else None

    def contact(self, platform: str | None, client: str) -> tuple[Contact, PlatformRef]:
        ref = self.inputs.platform(platform)
        return self.heynow.contact(ref, self.inputs.client_id(ref, client)), ref

    def agenda(self, platform: str | None, query: str, page: int = 1) -> AgendaPage:
        ref = self.inputs.platform(platform)
        everyone = self.contacts.agenda(ref, sort_key=lambda c: fold(c.name or c.client_id))
        number = self.inputs.phone_number(ref, query)
        matches = [c for c in everyone if _matches(c, query, number)]
        pages = max(1, math.ceil(len(matches) / AGENDA_PAGE_SIZE))
        page = min(max(1, page), pages)
        start = (page - 1) * AGENDA_PAGE_SIZE
        return AgendaPage(
            matches[start : start + AGENDA_PAGE_SIZE], ref, query, page, pages, len(matches)
        )


def fold(text: str) -> str:
    """Case- and accent-insensitive form: `Pérez` is found by `perez`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _matches(contact: Contact, query: str, number: str | None = None) -> bool:
    """Every word of `query` is in the contact's name, id or phones (case and accents
    ignored); or the query is a valid phone number (`number`: `091 000 003` read as
    59891000003) and the contact's id is that number."""
    if not query.strip():
        return True
    if number is not None and contact.client_id == number:
        return True
    haystack = fold(" ".join([contact.name or "", contact.client_id, *contact.phones]))
    return all(word in haystack for word in fold(query).split())
