"""The Home tab, as data: what one person's Home shows, and when it must be redrawn.

A Home shows its viewer's last messages with their status, the mass sends waiting for approval
(to approvers), the runs under way, approved or paused (all of them to approvers, their own to others), the new
contacts nobody has taken, and Hey Now's health. It is drawn when it goes out (bot.slack.
home_poster), from the store as it is then; this module decides what is in it and owes redraws:
when it is opened, after its viewer's click, and when what it shows has moved (bot.jobs.
home_refresh). It never talks to Slack.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.domain import MassState
from bot.domain.mass import MassRequest, Progress
from bot.domain.owed import Owed, home_view
from bot.domain.records import Message
from bot.i18n import Texts
from bot.services.permissions import Permissions
from storage import StorageUnavailable, Store
from storage.home import TeamMarks, Viewer
from storage.team import HealthSeen, NewContact

MESSAGES_SHOWN = 10
REQUESTS_SHOWN = 5  # of each part: pending approvals, runs under way
CONTACTS_SHOWN = 5
PROGRESS_STEPS = 20  # a run's progress redraws a Home every 5%, not on every send
VIEWER_DAYS = 1  # a Home opened longer ago is no longer kept up to date

# Approved (waiting for its time), running or paused: what a Home shows with its progress.
UNDER_WAY = (MassState.APPROVED, MassState.RUNNING, MassState.PAUSED)

T = TypeVar("T")


@dataclass(frozen=True)
class Part(Generic[T]):
    """Some of a list (the newest or the most urgent) and how long the whole list is."""

    shown: tuple[T, ...]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.shown)


@dataclass(frozen=True)
class HomeShows:
    user: str
    may_send: bool
    approver: bool
    mass_enabled: bool  # HEYNOW_APPROVALS_CHANNEL, HEYNOW_APPROVERS and mass platforms set
    messages: tuple[Message, ...]
    pending: Part[MassRequest]  # for approvers only; empty for others
    runs: Part[tuple[MassRequest, Progress]]
    contacts: Part[NewContact]
    health: HealthSeen
    allow_self_approval: bool

    def may_approve(self, request: MassRequest) -> bool:
        """Four eyes: an approver's own request is another approver's to approve."""
        return self.approver and (self.allow_self_approval or request.requester != self.user)


class Home:
    def __init__(
        self,
        store: Store,
        permissions: Permissions,
        *,
        mass_enabled: bool,
        allow_self_approval: bool,
        wake_outbox: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.permissions = permissions
        self.mass_enabled = mass_enabled
        self.allow_self_approval = allow_self_approval
        self.clock = clock
        self._wake_outbox = wake_outbox

    # -- when it is drawn ----------------------------------------------------------------------

    def opened(self, user: str, texts: Texts, *, seen_before: bool, key: str) -> None:
        """`user` opened their Home tab: keep it up to date from now on, and draw it now.
        `seen_before`: Slack still shows a view of ours (else the next one must go out, even
        if the app thinks it shows the same). `key` names the opening (Slack's retries of one
        event are one redraw)."""
        now = self.clock()
        version = f"open:{key or f'{now:.6f}'}"
        owed = home_view(user, version, now, locale=texts.locale, zone=texts.zone)
        self.store.home.opened(
            user, now, texts.locale, texts.zone, owed, forget_shown=not seen_before
        )
        self._wake_outbox()

    def redraw(self, user: str, why: str) -> bool:
        """Redraw the Home of `user` now (after their click), if they look at it at all.
        Best effort: when the database cannot take it, the next refresh round redraws it."""
        viewer = self.store.home.viewer(user)
        if viewer is None or viewer.opened_at < self.clock() - VIEWER_DAYS * 86400:
            return False
        try:
            self.store.outbox.owe(self.owed(viewer, f"{why}:{self.clock():.6f}"))
        except StorageUnavailable:
            return False
        self._wake_outbox()
        return True

    def owed(self, viewer: Viewer, version: str) -> Owed:
        return home_view(
            viewer.user,
            version,
            self.clock(),
            locale=viewer.locale or "",
            zone=viewer.zone or "",
        )

    def viewers(self, limit: int) -> list[Viewer]:
        return self.store.home.viewers(self.clock() - VIEWER_DAYS * 86400, limit)

    # -- what it shows -------------------------------------------------------------------------

    def shows(self, user: str) -> HomeShows:
        approver = self.permissions.may_approve(user)
        may_send = self.permissions.may_send(user)
        return HomeShows(
            user=user,
            may_send=may_send,
            approver=approver,
            mass_enabled=self.mass_enabled,
            messages=tuple(self.store.home.last_messages(user, MESSAGES_SHOWN)),
            pending=self._pending() if approver else Part((), 0),
            runs=self._runs(None if approver else user),
            contacts=self._contacts() if may_send else Part((), 0),
            health=self.store.team.health(),
            allow_self_approval=self.allow_self_approval,
        )

    def _contacts(self) -> Part[NewContact]:
        """New clients' names and numbers are for the people who may answer them."""
        return Part(
            tuple(self.store.team.unclaimed(CONTACTS_SHOWN)), self.store.team.unclaimed_count()
        )

    def _pending(self) -> Part[MassRequest]:
        """The oldest first: they expire first."""
        waiting = self.store.mass.in_state(MassState.PENDING)
        return Part(tuple(waiting[:REQUESTS_SHOWN]), len(waiting))

    def _runs(self, requester: str | None) -> Part[tuple[MassRequest, Progress]]:
        runs = [
            r
            for r in self.store.mass.in_state(*UNDER_WAY)
            if requester is None or r.requester == requester
        ]
        shown = tuple((r, self.store.mass.progress(r)) for r in runs[:REQUESTS_SHOWN])
        return Part(shown, len(runs))

    # -- whether it changed --------------------------------------------------------------------

    def team_marks(self) -> TeamMarks:
        return self.store.home.team_marks()

    def fingerprint(self, user: str, team: TeamMarks) -> str:
        """A short digest of what `user`'s Home would show, from cheap reads: equal while
        nothing it shows moved. Every part only moves forward (see TeamMarks), so a Home that
        changed never looks unchanged by coming back to an earlier fingerprint."""
        mine = [
            (m.id, m.line_state, m.client_name or "")
            for m in self.store.home.last_messages(user, MESSAGES_SHOWN)
        ]
        steps = [
            (request, done * PROGRESS_STEPS // total if total else 0)
            for request, done, total in team.progress
        ]
        seen = (team.mass_event, steps, team.unclaimed, team.newest_contact, team.health_changed)
        return hashlib.sha256(repr((mine, seen)).encode()).hexdigest()[:16]
