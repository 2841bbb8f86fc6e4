"""Global middleware: hand the services and the reader's texts to every listener, and drop
Slack's retries."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.context import BoltContext

RETRY_WINDOW_SECONDS = 15 * 60  # Slack retries after ~0 s, 1 min and 5 min


class SeenRequests:
    """Request ids handled recently. Sends are also de-duplicated durably, in the Store."""

    def __init__(
        self, window: float = RETRY_WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now - self._window:
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


def request_key(body: dict[str, Any]) -> str | None:
    """Slack's own id of a request, the same in every retry of it (headers are not always there).

    trigger_id, for every kind: a form corrected and submitted again keeps its view id but gets
    a new trigger_id, and must not be taken for a retry.
    """
    team = (
        (body.get("team") or {}).get("id")
        if isinstance(body.get("team"), dict)
        else body.get("team_id")
    )
    trigger = body.get("trigger_id")
    return f"{team}:{trigger}" if trigger else None


def provide(services: dict[str, Any]) -> Callable[..., Any]:
    """Each listener finds the services in its context, and `texts`: the language and zone of
    the person who asked (bot.services.readers), which it speaks with `speaking(...)`. Bolt
    runs listeners on threads of its own, which a context variable set here would not reach."""

    def provide_services(context: BoltContext, next: Callable[[], Any]) -> Any:  # noqa: A002 (Bolt's name)
        context.update(services)
        context["texts"] = services["readers"].of(context.user_id)
        return next()

    return provide_services


def drop_retries(seen: SeenRequests) -> Callable[..., Any]:
    def drop_slack_retries(
        body: dict[str, Any], context: BoltContext, next: Callable[[], Any]
    ) -> Any:  # noqa: A002
        key = request_key(body)
        context["request_key"] = key
        if key is not None and not seen.first_time(key):
            return BoltResponse(status=200, body="")  # already answered: a retry must do nothing
        return next()

    return drop_slack_retries
