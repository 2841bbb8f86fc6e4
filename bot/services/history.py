"""`/heynow history`: who may see which messages, and what a window holds.

Senders see their own messages; approvers (HEYNOW_APPROVERS) see everyone's, and may name a
person. A client filter narrows what the viewer may see, never widens it. The query is decided
here once (bot.domain.history.HistoryQuery) and read as it is, now or in a file later.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.domain.history import HistoryEntry, HistoryQuery
from bot.domain.owed import history_file
from bot.heynow.channels import phone_number
from bot.i18n import Texts, say
from bot.mrkdwn import escape
from bot.services.inputs import InputError
from bot.services.permissions import Permissions
from storage import Store

PAGE_SIZE = 20  # shown in Slack: the newest; the file has them all
FILE_CAP = 10_000  # rows of one file: a spreadsheet opens it at once; the file says when cut
_SPACES = re.compile(r"[\s().\-]+")


@dataclass(frozen=True)
class HistoryPage:
    query: HistoryQuery
    entries: list[HistoryEntry]  # the newest, up to PAGE_SIZE
    total: int  # in the whole window


@dataclass(frozen=True)
class HistoryFile:
    query: HistoryQuery
    entries: Iterator[HistoryEntry]  # newest first, at most `cap`
    total: int
    cap: int

    @property
    def cut(self) -> bool:
        return self.total > self.cap


class MessageHistory:
    def __init__(
        self,
        store: Store,
        permissions: Permissions,
        *,
        default_region: str,
        wake_outbox: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.permissions = permissions
        self.default_region = default_region
        self._wake_outbox = wake_outbox
        self.clock = clock

    def ask(
        self,
        viewer: str,
        team_id: str | None,
        *,
        days: int,
        user: str | None = None,
        client: str | None = None,
    ) -> HistoryQuery:
        """The query `viewer` may make; InputError (in plain words) when they name someone
        else without being an approver."""
        approver = self.permissions.may_approve(viewer)
        if user is not None and user != viewer and not approver:
            raise InputError(say("history.not_allowed", user=f"<@{escape(user)}>"))
        sender = user if user is not None else (None if approver else viewer)
        typed = (client or "").strip()
        return HistoryQuery(
            team_id=team_id,
            viewer=viewer,
            sender=sender,
            clients=self.client_ids(typed),
            days=days,
            until=self.clock(),
            client_typed=typed,
        )

    def client_ids(self, typed: str) -> tuple[str, ...]:
        """The ids a typed client may be stored as: as typed (a Messenger or Twitter id), and,
        when it reads as a phone number, as Hey Now's WhatsApp id (`091 000 001` is
        59891000001 in Uruguay)."""
        if not typed:
            return ()
        found = [typed, _SPACES.sub("", typed).lstrip("+")]
        number = phone_number(typed, self.default_region)
        if number is not None:
            found.append(number)
        return tuple(dict.fromkeys(c for c in found if c))

    def page(self, query: HistoryQuery, size: int = PAGE_SIZE) -> HistoryPage:
        history = self.store.history
        return HistoryPage(query, history.newest(query, size), history.count(query))

    def file(self, query: HistoryQuery, cap: int = FILE_CAP) -> HistoryFile:
        history = self.store.history
        return HistoryFile(query, history.each(query, cap), history.count(query), cap)

    def owe_file(self, query: HistoryQuery, request_key: str, reader: Texts) -> None:
        """Owe the file (written when it goes out, in the reader's language and zone); the
        command's request key makes a retry of it the same file. Raises StorageUnavailable."""
        payload = {**query.payload(), "locale": reader.locale, "zone": reader.zone}
        self.store.outbox.owe(history_file(request_key, query.viewer, self.clock(), **payload))
        self._wake_outbox()
