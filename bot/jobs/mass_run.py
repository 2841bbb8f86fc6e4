"""The run of approved mass sends: one recipient at a time from the store, at a safe pace.

Each step claims one recipient of a running request with a lease and sends it through
`masiveMessage`; several threads step at once (bounded concurrency) and one rate limiter
(pyrate-limiter) paces them all to HEYNOW_MASS_RATE sends a second. A recipient is never sent
twice: an answer lost mid-send leaves it unknown, as a crash does (storage.mass.recover).

The run pauses by itself after HEYNOW_MASS_MAX_FAILURES refusals in a row, stops at once when
Hey Now refuses mass sends on the platform (403: it validates contacts), and sends nothing
inside HEYNOW_QUIET_HOURS. `sweep` (every second or so) starts approved requests when their
send-not-before time comes, expires the undecided ones, notes quiet hours, and redraws the
progress of the slots that are over.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pyrate_limiter import Limiter, Rate

from bot.domain import MassEvent, MassState, PauseReason
from bot.domain.mass import MassRecipient, MassRequest, QuietHours
from bot.domain.owed import Owed, mass_note, mass_redrawn, mass_summary, mass_update
from bot.heynow import DeliveryUnknown, HeyNowClient, HeyNowError, PermissionDenied
from storage import Store

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 3.0  # the approval post's progress is redrawn at most this often
WAIT_SECONDS = 1.0  # a step waits this long for the rate limiter before giving the turn back


@dataclass(frozen=True)
class RunPolicy:
    rate: float  # HEYNOW_MASS_RATE: sends per second, across all requests
    max_failures: int  # HEYNOW_MASS_MAX_FAILURES in a row pause the run
    quiet: QuietHours | None  # HEYNOW_QUIET_HOURS in HEYNOW_TIMEZONE
    lease_seconds: float
    first_poll_seconds: float


def pacing(rate: float) -> list[Rate]:
    """The limiter's rates: `rate` a second, spread over tenths of a second rather than sent
    in a burst at the start of each second; below ten a second, one send every 1/rate s."""
    if rate < 10:
        return [Rate(1, max(1, round(1000 / rate)))]
    per_second = round(rate)
    return [Rate(math.ceil(per_second / 10), 100), Rate(per_second, 1000)]


class MassRun:
    def __init__(
        self,
        store: Store,
        heynow: HeyNowClient,
        policy: RunPolicy,
        *,
        owner: str,
        wake_outbox: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.heynow = heynow
        self.policy = policy
        self.owner = owner
        self.clock = clock
        self._wake_outbox = wake_outbox
        self._limiter = Limiter(pacing(policy.rate), buffer_ms=1)
        self._claims = itertools.count(1)
        self._moved: dict[int, int] = {}  # request -> the slot its progress moved in, undrawn
        self._moved_lock = threading.Lock()

    # -- the loop's step ------------------------------------------------------------------------

    def step(self) -> bool:
        """Send one recipient; False when there is nothing to send now."""
        now = self.clock()
        if self.policy.quiet is not None and self.policy.quiet.contains(now):
            return False
        running = self.store.mass.in_state(MassState.RUNNING)
        if not running:
            return False
        if not self._limiter.try_acquire("mass", blocking=True, timeout=WAIT_SECONDS):
            return True  # paced: the turn goes back, and comes again
        token = f"{self.owner}:m{next(self._claims)}"
        recipient = self.store.mass.claim_any(token, self.clock(), self.policy.lease_seconds)
        if recipient is None:
            for ending in running:  # the last ones were in flight: done, when they land
                self._finish(ending)
            return False
        found = next((r for r in running if r.id == recipient.request_id), None)
        request = found or self.store.mass.get(recipient.request_id)
        assert request is not None  # a claimed recipient's request exists
        self._send(request, recipient, token)
        self._show_progress(request)
        return True

    def _send(self, request: MassRequest, recipient: MassRecipient, token: str) -> None:
        ref = request.ref
        try:
            hey_id = self.heynow.send_mass_message(ref, recipient.client_id, recipient.text)
        except PermissionDenied:
            self._stop(request)  # first: a claim between the two would ask again
            self.store.mass.release(recipient, token)  # refused: it did not go out
        except DeliveryUnknown as exc:
            logger.warning("A mass send's answer was lost (%s): %s", recipient.id, exc)
            self._failed(
                request, self.store.mass.unknown(recipient, token, type(exc).__name__), exc
            )
        except HeyNowError as exc:
            self._failed(request, self.store.mass.failed(recipient, token, type(exc).__name__), exc)
        else:
            self.store.mass.sent(
                recipient, token, hey_id, self.clock(), self.policy.first_poll_seconds
            )

    def _failed(self, request: MassRequest, in_a_row: int | None, exc: HeyNowError) -> None:
        if in_a_row is not None and in_a_row >= self.policy.max_failures:
            self._pause_itself(request, type(exc).__name__)

    # -- the run's own decisions ----------------------------------------------------------------

    def _stop(self, request: MassRequest) -> None:
        now = self.clock()
        done = self.store.mass.transition(
            request.id,
            MassState.STOPPED,
            MassEvent.STOPPED,
            actor="app",
            now=now,
            detail={"reason": "PermissionDenied"},
            owed=lambda r: [*_told(r, "stopped", now), *mass_summary(r.id, r.round, now)],
            reason="PermissionDenied",
        )
        if done is not None:
            logger.error(
                "Hey Now refuses mass sends on %s: mass send %s stopped",
                request.platform_id,
                request.id,
            )
            self._wake_outbox()

    def _pause_itself(self, request: MassRequest, last_error: str) -> None:
        now = self.clock()
        done = self.store.mass.transition(
            request.id,
            MassState.PAUSED,
            MassEvent.PAUSED,
            actor="app",
            now=now,
            detail={"reason": str(PauseReason.FAILURES), "last_error": last_error},
            owed=lambda r: _told(r, "paused_itself", now, error=last_error),
            pause_reason=str(PauseReason.FAILURES),
            reason=last_error,
        )
        if done is not None:
            logger.warning("Mass send %s paused itself after %s", request.id, last_error)
            self._wake_outbox()

    def _finish(self, request: MassRequest) -> None:
        now = self.clock()

        def owed(finished: MassRequest) -> list[Owed]:
            return [
                *mass_summary(finished.id, finished.round, now),
                *_told(finished, "finished", now),
            ]

        if self.store.mass.finish_if_done(request.id, now, owed) is not None:
            self._wake_outbox()

    def _show_progress(self, request: MassRequest) -> None:
        """Note that the progress moved: the sweep redraws the approval post once per
        PROGRESS_SECONDS slot, when the slot is over (`_redraw_progress`)."""
        slot = int(self.clock() // PROGRESS_SECONDS)
        with self._moved_lock:
            self._moved.setdefault(request.id, slot)

    def _redraw_progress(self, now: float) -> None:
        """Owe the redraws of the slots that are over. Never owed ahead for later: a row due
        later holds up every row behind it in the post's topic (a pause, the summary)."""
        slot = int(now // PROGRESS_SECONDS)
        with self._moved_lock:
            ended = {rid: s for rid, s in self._moved.items() if s < slot}
            for request_id in ended:
                del self._moved[request_id]
        for request_id, moved_in in ended.items():
            self.store.outbox.owe(mass_update(request_id, f"p{moved_in}", now))
        if ended:
            self._wake_outbox()

    # -- the sweep --------------------------------------------------------------------------------

    def sweep(self) -> None:
        """Start what is due, expire what nobody decided, note quiet hours, redraw progress."""
        now = self.clock()
        for expired in self.store.mass.expire(now, lambda r: _told(r, "expired", now)):
            logger.info("Mass send %s expired undecided", expired.id)
        quiet = self.policy.quiet is not None and self.policy.quiet.contains(now)
        for request in self.store.mass.in_state(MassState.APPROVED):
            if (request.not_before or 0) <= now:
                self.store.mass.transition(
                    request.id,
                    MassState.RUNNING,
                    MassEvent.STARTED,
                    actor="app",
                    now=now,
                    owed=lambda r: [mass_update(r.id, "started", now)],
                    sources=[MassState.APPROVED],  # a pause since the read stays a pause
                    started_at=now,
                )
        for request in self.store.mass.in_state(MassState.RUNNING):
            self._mind_quiet_hours(request, now, quiet)
        self._redraw_progress(now)

    def _mind_quiet_hours(self, request: MassRequest, now: float, quiet: bool) -> None:
        if quiet and self.policy.quiet is not None and request.quiet_until is None:
            until = self.policy.quiet.ends_after(now)
            self.store.mass.update(request.id, quiet_until=until)
            self.store.mass.note(
                request.id, MassEvent.QUIET_HOURS, actor="app", now=now, until=until
            )
            self.store.outbox.owe(mass_update(request.id, f"quiet:{until}", now))
        elif not quiet and request.quiet_until is not None:
            self.store.mass.update(request.id, quiet_until=None)
            self.store.mass.note(
                request.id, MassEvent.RESUMED, actor="app", now=now, after="quiet_hours"
            )
            self.store.outbox.owe(mass_update(request.id, f"unquiet:{now:.0f}", now))
        else:
            return
        self._wake_outbox()

    def recover(self, owner_gone: Callable[[str], bool]) -> int:
        """At start-up: recipients cut off mid-send become unknown (never re-sent)."""
        count = self.store.mass.recover(self.clock(), owner_gone)
        if count:
            logger.warning("%d mass-send recipients were cut off mid-send: now unknown", count)
        return count


def _told(request: MassRequest, note: str, now: float, **params: str) -> list[Owed]:
    """The approval post redrawn, and the requester told."""
    return [
        mass_redrawn(request, now),
        mass_note(request.id, note, request.requester, now, round=request.round, **params),
    ]
