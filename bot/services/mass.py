"""Mass sends, as people ask for and decide them: nobody sends one alone.

Someone who may send asks (the form's checked draft); an approver (HEYNOW_APPROVERS) other than
the requester approves or rejects it; the requester or an approver pauses, resumes or cancels
the run. Every decision is one guarded transition in the store (storage.mass), so a double
click or two approvers at once decide it once; what each change owes Slack (the approval post
updated, the requester told) is owed in the same transaction. The run itself is
bot.jobs.mass_run's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cachetools import TTLCache

from bot.domain import MassEvent, MassState, PauseReason
from bot.domain.mass import MassRequest, Progress
from bot.domain.owed import Owed, mass_note, mass_post, mass_redrawn, mass_summary
from bot.heynow import Channel, HeyNowClient, PlatformRef
from bot.i18n import Texts
from bot.services.inputs import SlackOrigin
from bot.services.permissions import Permissions
from storage import Store

logger = logging.getLogger(__name__)

OPT_OUT_CACHE_SECONDS = 30  # bounds how stale a list changed by another process could be


@dataclass(frozen=True)
class MassPolicy:
    approvals_channel: str | None  # HEYNOW_APPROVALS_CHANNEL; unset: no mass sends
    allow_self_approval: bool
    expiry_hours: float


@dataclass(frozen=True)
class MassDraft:
    """A checked request, ready to store: every recipient with the exact text they will get."""

    ref: PlatformRef
    template: str
    recipients: tuple[tuple[str, str], ...]
    left_out: dict[str, int]
    not_before: float | None


class Verdict(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    NOT_APPROVER = "not_approver"
    OWN_REQUEST = "own_request"  # four eyes: the requester may not approve it
    NOT_ALLOWED = "not_allowed"  # neither its requester nor an approver
    TOO_LATE = "too_late"  # its state no longer allows it (decided, finished, expired)
    OPTED_OUT = "opted_out"  # a test to a number that asked not to be messaged


@dataclass(frozen=True)
class Decided:
    verdict: Verdict
    request: MassRequest | None = None


class MassSends:
    def __init__(
        self,
        store: Store,
        heynow: HeyNowClient,
        permissions: Permissions,
        policy: MassPolicy,
        *,
        wake_outbox: Callable[[], None] = lambda: None,
        wake_runner: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.heynow = heynow
        self.permissions = permissions
        self.policy = policy
        self.clock = clock
        self._wake_outbox = wake_outbox
        self._wake_runner = wake_runner

    def get(self, request_id: int | None) -> MassRequest | None:
        return self.store.mass.get(request_id) if request_id is not None else None

    @property
    def available(self) -> bool:
        """Mass sends need somewhere to be approved, and someone to approve them."""
        return bool(self.policy.approvals_channel and self.permissions.approvers)

    def submit(self, draft: MassDraft, origin: SlackOrigin, requester: Texts) -> int | None:
        """Store the request and owe its approval post; None for a repeat of the same form."""
        now = self.clock()
        channel = self.policy.approvals_channel or ""

        def owed(request_id: int) -> Iterable[Owed]:
            yield mass_post(request_id, channel, now)
            yield mass_note(request_id, "waiting", origin.user_id, now)

        made = self.store.mass.create(
            {
                "request_key": origin.request_key,
                "team_id": origin.team_id,
                "requester": origin.user_id,
                "origin_channel": origin.channel_id,
                "channel_id": draft.ref.channel.value,
                "platform_id": draft.ref.platform_id,
                "template": draft.template,
                "not_before": draft.not_before,
                "created_at": now,
                "expires_at": now + self.policy.expiry_hours * 3600,
                "locale": requester.locale,
                "zone": requester.zone,
            },
            draft.recipients,
            draft.left_out,
            owed,
        )
        if made is not None:
            self._wake_outbox()
        return made

    # -- decisions ------------------------------------------------------------------------------

    def approve(self, request_id: int, user: str) -> Decided:
        request = self._as_approver(request_id, user)
        if isinstance(request, Decided):
            return request
        if request.requester == user and not self.policy.allow_self_approval:
            return Decided(Verdict.OWN_REQUEST, request)
        now = self.clock()
        done = self.store.mass.transition(
            request_id,
            MassState.APPROVED,
            MassEvent.APPROVED,
            actor=user,
            now=now,
            owed=lambda r: self._told(r, "approved", now, by=user),
            decided_by=user,
            decided_at=now,
        )
        if done is not None:
            self._wake_runner()
        return self._decided(done, request_id)

    def reject(self, request_id: int, user: str, reason: str) -> Decided:
        refused = self._as_approver(request_id, user)
        if isinstance(refused, Decided):
            return refused
        now = self.clock()
        done = self.store.mass.transition(
            request_id,
            MassState.REJECTED,
            MassEvent.REJECTED,
            actor=user,
            now=now,
            detail={"reason": reason},
            owed=lambda r: self._told(r, "rejected", now, by=user),
            decided_by=user,
            decided_at=now,
            reason=reason,
        )
        return self._decided(done, request_id)

    def pause(self, request_id: int, user: str) -> Decided:
        """An approver's pause is theirs to end; the requester's, either's."""
        reason = (
            PauseReason.BY_APPROVER if self.permissions.may_approve(user) else PauseReason.BY_PERSON
        )
        return self._by_requester_or_approver(
            request_id,
            user,
            MassState.PAUSED,
            MassEvent.PAUSED,
            detail={"reason": str(reason)},
            pause_reason=str(reason),
        )

    def resume(self, request_id: int, user: str) -> Decided:
        """From a pause only; back to waiting for its time if it had not started. A pause the
        run made itself, or an approver made, only an approver ends: in the same guarded
        transition, so a click racing a new pause cannot end it."""
        request = self.store.mass.get(request_id)
        if request is None:
            return Decided(Verdict.NOT_FOUND)
        approver = self.permissions.may_approve(user)
        if request.pause_reason not in (None, PauseReason.BY_PERSON) and not approver:
            return Decided(Verdict.NOT_APPROVER, request)
        target = MassState.RUNNING if request.started_at else MassState.APPROVED
        return self._by_requester_or_approver(
            request_id,
            user,
            target,
            MassEvent.RESUMED,
            sources=[MassState.PAUSED],
            pause_reasons=None if approver else [str(PauseReason.BY_PERSON)],
            pause_reason=None,
            failures_in_a_row=0,
        )

    def cancel(self, request_id: int, user: str) -> Decided:
        return self._by_requester_or_approver(
            request_id, user, MassState.CANCELLED, MassEvent.CANCELLED
        )

    def retry_failed(self, request_id: int, user: str) -> Decided:
        refused = self._as_approver(request_id, user)
        if isinstance(refused, Decided):
            return refused
        now = self.clock()
        done = self.store.mass.retry_failed(
            request_id, actor=user, now=now, owed=lambda r: [mass_redrawn(r, now)]
        )
        if done is not None:
            self._wake_runner()
        return self._decided(done, request_id)

    def send_test(self, request_id: int, user: str, client_id: str) -> str | Verdict:
        """Send the first recipient's text to `client_id` (a number the clicker typed); its
        idMessageHey, or why not: only its requester and approvers, only while it is still to
        be decided or sent, never to a number on the opt-out list. Raises
        bot.heynow.HeyNowError as any send does."""
        request = self.store.mass.get(request_id)
        first = self.store.mass.samples(request_id, 1)
        if request is None or not first:
            return Verdict.NOT_FOUND
        if not self.may_follow(request, user):
            return Verdict.NOT_ALLOWED
        if request.state.final or request.state is MassState.FINISHED:
            return Verdict.TOO_LATE
        if client_id in self.store.mass.opted_out(request.channel_id):
            return Verdict.OPTED_OUT
        ref = request.ref
        hey_id = self.heynow.send_mass_message(ref, client_id, first[0].text)
        self.store.mass.note(
            request_id, MassEvent.TEST_SENT, actor=user, now=self.clock(), to=client_id
        )
        return hey_id

    # -- helpers --------------------------------------------------------------------------------

    def _as_approver(self, request_id: int, user: str) -> MassRequest | Decided:
        """The request, for an approver to decide; or why `user` may not."""
        request = self.store.mass.get(request_id)
        if request is None:
            return Decided(Verdict.NOT_FOUND)
        if not self.permissions.may_approve(user):
            return Decided(Verdict.NOT_APPROVER, request)
        return request

    def may_follow(self, request: MassRequest, user: str) -> bool:
        """Who may see a request and its history: its requester and the approvers."""
        return request.requester == user or self.permissions.may_approve(user)

    def _by_requester_or_approver(
        self,
        request_id: int,
        user: str,
        target: MassState,
        event: MassEvent,
        *,
        detail: dict[str, Any] | None = None,
        sources: list[MassState] | None = None,
        pause_reasons: list[str] | None = None,
        **changes: Any,
    ) -> Decided:
        request = self.store.mass.get(request_id)
        if request is None:
            return Decided(Verdict.NOT_FOUND)
        if not self.may_follow(request, user):
            return Decided(Verdict.NOT_ALLOWED, request)
        now = self.clock()
        done = self.store.mass.transition(
            request_id,
            target,
            event,
            actor=user,
            now=now,
            detail=detail,
            owed=lambda r: self._told(r, str(event), now, by=user),
            sources=sources,
            pause_reasons=pause_reasons,
            **changes,
        )
        if done is not None:
            self._wake_runner()
        return self._decided(done, request_id)

    def _decided(self, done: MassRequest | None, request_id: int) -> Decided:
        if done is None:
            return Decided(Verdict.TOO_LATE, self.store.mass.get(request_id))
        self._wake_outbox()
        return Decided(Verdict.DONE, done)

    def _told(self, request: MassRequest, note: str, now: float, *, by: str) -> list[Owed]:
        """The approval post shows the change; its requester is told unless they made it; a
        run cancelled part way gets its summary and report too."""
        owed = [mass_redrawn(request, now)]
        if request.state is MassState.CANCELLED and request.started_at:
            owed.extend(mass_summary(request.id, request.round, now))
        if by != request.requester:
            owed.append(
                mass_note(request.id, note, request.requester, now, by=by, round=request.round)
            )
        return owed


class MassViews:
    """What people may see of mass sends and of the opt-out list (bot.services.mass's readers)."""

    def __init__(self, sends: MassSends) -> None:
        self.sends = sends
        self.store = sends.store
        # Every single send asks whether its client opted out, before its ack: from memory,
        # not through the database lock the workers write under. This process is the only
        # writer (one app process per database), and it forgets a channel's list on a change.
        self._opted_out: TTLCache[int, frozenset[str]] = TTLCache(16, OPT_OUT_CACHE_SECONDS)
        self._lock = threading.Lock()

    def listing(self, user: str) -> list[MassRequest]:
        """Approvers see every recent request; others their own."""
        mine = None if self.sends.permissions.may_approve(user) else user
        return self.store.mass.listing(requester=mine)

    def history(self, request: MassRequest) -> tuple[Progress, list[dict[str, Any]]]:
        return self.store.mass.progress(request), self.store.mass.events(request.id)

    def shown(self, request_id: int, user: str) -> MassRequest | Verdict:
        request = self.store.mass.get(request_id)
        if request is None:
            return Verdict.NOT_FOUND
        return request if self.sends.may_follow(request, user) else Verdict.NOT_ALLOWED

    def opt_out(self, channel: Channel, client_ids: list[str], user: str) -> int:
        try:
            return self.store.mass.opt_out(
                channel.value, client_ids, by=user, now=self.sends.clock()
            )
        finally:
            self._forget(channel)

    def opt_in(self, channel: Channel, client_ids: list[str]) -> int:
        try:
            return self.store.mass.opt_in(channel.value, client_ids)
        finally:
            self._forget(channel)

    def opted_out(self, channel: Channel) -> frozenset[str]:
        with self._lock:
            known = self._opted_out.get(channel.value)
        if known is None:
            known = frozenset(self.store.mass.opted_out(channel.value))
            with self._lock:
                self._opted_out[channel.value] = known
        return known

    def _forget(self, channel: Channel) -> None:
        with self._lock:
            self._opted_out.pop(channel.value, None)

    def may_opt_in(self, user: str) -> bool:
        """Taking a number off the list lets it be messaged again: approvers decide, where
        there are approvers."""
        permissions = self.sends.permissions
        return (
            permissions.may_approve(user) if permissions.approvers else permissions.may_send(user)
        )
