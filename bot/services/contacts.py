"""Names and agendas from Hey Now, cached briefly.

The channel post names the client, which costs a contact look-up; 500 sends to the same few
clients made 1,000 Hey Now calls before this cache. An agenda is cached too, so paging through
it with the buttons does not download it again for every click.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from cachetools import TTLCache

from bot.heynow import Contact, HeyNowClient, HeyNowError, NotFound, PlatformRef

logger = logging.getLogger(__name__)

NAME_SECONDS = 300  # a contact's name rarely changes; five minutes old is fine in a post
AGENDA_SECONDS = 60


class Contacts:
    def __init__(self, heynow: HeyNowClient, clock: Callable[[], float] = time.monotonic) -> None:
        self._heynow = heynow
        self._names: TTLCache[tuple[PlatformRef, str], str | None] = TTLCache(
            maxsize=10_000, ttl=NAME_SECONDS, timer=clock
        )
        self._agendas: TTLCache[PlatformRef, list[Contact]] = TTLCache(
            maxsize=32, ttl=AGENDA_SECONDS, timer=clock
        )
        self._lock = threading.Lock()  # cachetools caches are not thread-safe

    def name(self, ref: PlatformRef, client_id: str) -> str | None:
        """Best effort: None when the agenda does not know the client or Hey Now fails (a
        failure is not cached, so the next send asks again)."""
        key = (ref, client_id)
        with self._lock:
            if key in self._names:
                return self._names[key]
        try:
            name = self._heynow.contact(ref, client_id).name
        except NotFound:
            name = None
        except HeyNowError as exc:
            logger.info("Could not name client %s on %s: %s", client_id, ref, type(exc).__name__)
            return None
        with self._lock:
            self._names[key] = name
        return name

    def agenda(self, ref: PlatformRef, sort_key: Callable[[Contact], str]) -> list[Contact]:
        with self._lock:
            cached = self._agendas.get(ref)
        if cached is not None:
            return cached
        contacts = sorted(self._heynow.agenda(ref), key=sort_key)
        with self._lock:
            self._agendas[ref] = contacts
        return contacts
