"""The team's new contacts: who answers each ("I'll take it"), decided once."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.domain.owed import new_contact_taken
from storage import Store
from storage.team import NewContact, Take


class TeamContacts:
    def __init__(
        self,
        store: Store,
        *,
        wake_outbox: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.clock = clock
        self._wake_outbox = wake_outbox

    def get(self, contact_id: int) -> NewContact | None:
        return self.store.team.contact(contact_id)

    def take(self, contact_id: int, user: str) -> Take:
        """`user` answers the contact, unless someone already does: a double click, or two
        people at once, leave one taker, and the post is redrawn once."""
        now = self.clock()
        taken = self.store.team.take(contact_id, user, now, new_contact_taken(contact_id, now))
        if taken.won:
            self._wake_outbox()
        return taken
