"""What one status observation means for a message: its next poll, and the posts it owes.

Pure functions of (the message as stored now, what was observed, the time, the policy). The
store calls them inside its write transaction with the row it has just read, so two threads or
two processes observing the same message can never move it backwards or owe a post twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.records import Message
from bot.domain.states import Outcome, Reply, Status

STATUS_COLUMNS = {Status.ONE_TICK: "rs_at", Status.DELIVERED: "ru_at", Status.READ: "lu_at"}
REPLY_AT = {Status.DELIVERED: Reply.DELIVERED, Status.READ: Reply.READ}


@dataclass(frozen=True)
class PollPolicy:
    """From HEYNOW_POLL_SECONDS, HEYNOW_POLL_MAX_SECONDS, HEYNOW_STUCK_MINUTES and
    HEYNOW_POLL_GIVE_UP_HOURS; `not_found_limit` 404s in a row end the following."""

    first_interval: float
    max_interval: float
    stuck_after: float
    give_up_after: float
    not_found_limit: int = 3


@dataclass(frozen=True)
class Transition:
    """The columns to set and the posts owed by one observation."""

    changes: dict[str, Any]
    replies: tuple[Reply, ...] = ()
    refresh_line: bool = False


def after_status(message: Message, observed: Status, now: float, policy: PollPolicy) -> Transition:
    """Record `observed`; a status older than the stored one changes nothing but the clock."""
    status = max(message.status, observed, key=lambda s: s.rank)
    newly = [s for s in status.implied() if s not in message.status.implied()]
    changes: dict[str, Any] = {"status": status.value, "checked_at": now}
    changes.update({STATUS_COLUMNS[s]: now for s in newly})
    replies = [REPLY_AT[s] for s in newly if s in REPLY_AT]
    if message.outcome is not None or message.next_poll_at is None:
        return Transition(changes, tuple(replies), refresh_line=bool(newly))  # stays finished
    interval = _next_interval(message, changed=bool(newly), policy=policy)
    changes.update(next_poll_at=now + interval, poll_interval=interval, poll_failures=0)
    changes["not_found"] = 0
    age = now - (message.sent_at or message.created_at)
    if status is Status.READ:
        changes.update(next_poll_at=None, outcome=Outcome.READ.value)
    elif age >= policy.give_up_after:
        changes.update(next_poll_at=None, outcome=_ending(status).value)
        replies.append(Reply.GAVE_UP)
    elif status.rank < Status.DELIVERED.rank and age >= policy.stuck_after:
        replies.append(Reply.STUCK)  # owed once: outbox rows are keyed by (message, reply)
    ended = changes.get("outcome") is not None
    return Transition(changes, tuple(replies), refresh_line=bool(newly) or ended)


def after_failure(
    message: Message, now: float, policy: PollPolicy, *, not_found: bool
) -> Transition:
    """Hey Now did not answer (or answered 404): back off, and stop at the same deadline as for
    silence; a message Hey Now keeps saying it does not know stops being followed sooner."""
    changes: dict[str, Any] = {"checked_at": now, "poll_failures": message.poll_failures + 1}
    changes["not_found"] = message.not_found + 1 if not_found else 0
    if message.outcome is not None or message.next_poll_at is None:
        return Transition({"checked_at": now})
    if not_found and changes["not_found"] >= policy.not_found_limit:
        changes.update(next_poll_at=None, outcome=Outcome.LOST.value)
        return Transition(changes, (Reply.LOST,), refresh_line=True)
    if now - (message.sent_at or message.created_at) >= policy.give_up_after:
        changes.update(next_poll_at=None, outcome=_ending(message.status).value)
        return Transition(changes, (Reply.GAVE_UP,), refresh_line=True)
    interval = _next_interval(message, changed=False, policy=policy)
    changes.update(next_poll_at=now + interval, poll_interval=interval)
    return Transition(changes)


def _next_interval(message: Message, *, changed: bool, policy: PollPolicy) -> float:
    if changed or not message.poll_interval:
        return policy.first_interval
    return min(message.poll_interval * 2, policy.max_interval)


def _ending(status: Status) -> Outcome:
    """The outcome of a message no longer checked: it reached the phone, or it never did."""
    return Outcome.DELIVERED if status.rank >= Status.DELIVERED.rank else Outcome.STUCK
