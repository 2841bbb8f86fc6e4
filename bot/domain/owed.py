"""The Slack calls a change makes owed, as rows for the outbox: one constructor per kind.

The dedupe key says what the call is about, so owing the same thing twice (a retry, a second
process, a poll that saw the same status again) leaves one row, and so one post.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.domain.records import Message
from bot.domain.states import PostKind, Reply, SenderNotice, TeamNotice


@dataclass(frozen=True)
class Owed:
    dedupe_key: str
    kind: PostKind
    topic: str
    at: float  # when it became owed
    message_id: int | None = None
    channel: str | None = None
    user: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    not_before: float | None = None  # held back until then

    @property
    def next_attempt_at(self) -> float:
        return self.not_before if self.not_before is not None else self.at


def message_topic(message_id: int) -> str:
    """A message's channel post and its thread replies go out in the order they were owed."""
    return f"message:{message_id}"


def announce(message: Message, at: float, not_before: float | None = None) -> Owed:
    return Owed(
        f"m{message.id}:announce",
        PostKind.ANNOUNCE,
        message_topic(message.id),
        at,
        message_id=message.id,
        channel=message.slack_channel,
        user=message.slack_user,
        not_before=not_before,
    )


def reply(message_id: int, what: Reply, at: float) -> Owed:
    return Owed(
        f"m{message_id}:reply:{what}",
        PostKind.REPLY,
        message_topic(message_id),
        at,
        message_id=message_id,
        payload={"reply": what.value},
    )


def status_line(message_id: int, line_state: str, at: float) -> Owed:
    return Owed(
        f"m{message_id}:line:{line_state}",
        PostKind.STATUS_LINE,
        message_topic(message_id),
        at,
        message_id=message_id,
    )


def sender_notice(message: Message, notice: SenderNotice, at: float, **params: Any) -> Owed:
    """A private note to the sender about their send, where they typed the command."""
    return Owed(
        f"m{message.id}:notice:{notice}",
        PostKind.EPHEMERAL,
        f"user:{message.slack_user}",
        at,
        message_id=message.id,
        channel=message.slack_channel,
        user=message.slack_user,
        payload={"notice": notice.value, **params},
    )


def direct_message(key: str, user: str, at: float, message_id: int | None, **payload: Any) -> Owed:
    return Owed(
        f"dm:{key}",
        PostKind.DM,
        f"user:{user}",
        at,
        message_id=message_id,
        channel=user,
        user=user,
        payload=payload,
    )


def mass_topic(request_id: int) -> str:
    """A mass send's approval post, its updates, summary and report go out in order."""
    return f"mass:{request_id}"


def mass_post(request_id: int, channel: str, at: float) -> Owed:
    """The approval post in HEYNOW_APPROVALS_CHANNEL; later updated in place."""
    return Owed(
        f"q{request_id}:post",
        PostKind.MASS_POST,
        mass_topic(request_id),
        at,
        channel=channel,
        payload={"request": request_id},
    )


def mass_update(
    request_id: int, version: str, at: float, *, part: str = "post", not_before: float | None = None
) -> Owed:
    """Show the request as it is now: on its approval post (`part` "post") or its summary
    ("summary", with delivered and read counts). `version` says what changed (a state, a
    time slot), so that progress is aggregated, never one edit per send."""
    return Owed(
        f"q{request_id}:{part}:{version}",
        PostKind.MASS_UPDATE,
        mass_topic(request_id),
        at,
        payload={"request": request_id, "part": part},
        not_before=not_before,
    )


def mass_redrawn(request: Any, at: float) -> Owed:
    """The approval post redrawn after a change of its request's state (or round)."""
    return mass_update(request.id, f"{request.state}:{request.round}:{at:.3f}", at)


def mass_note(request_id: int, note: str, user: str, at: float, **params: Any) -> Owed:
    """A direct message to a person about a mass send (its requester, mostly). Its key holds
    the moment of the change it tells of: a second pause is news again, a retry is not."""
    return Owed(
        f"q{request_id}:note:{note}:{user}:{params.pop('round', 1)}:{at:.6f}",
        PostKind.DM,
        f"user:{user}",
        at,
        channel=user,
        user=user,
        payload={"request": request_id, "mass_note": note, **params},
    )


def mass_summary(request_id: int, round_: int, at: float) -> list[Owed]:
    """When a run ends: its summary in the approval post's thread, then the CSV report."""
    payload = {"request": request_id, "round": round_}
    topic = mass_topic(request_id)
    return [
        Owed(f"q{request_id}:summary:{round_}", PostKind.MASS_SUMMARY, topic, at, payload=payload),
        Owed(f"q{request_id}:report:{round_}", PostKind.MASS_REPORT, topic, at, payload=payload),
    ]


# -- the team's view: posts in HEYNOW_NOTIFY_CHANNEL ---------------------------------------------


def team_post(key: str, notice: TeamNotice, channel: str, at: float, **payload: Any) -> Owed:
    """A post for the team about one thing (`key`: a problem, a new contact, an outage's
    start): each thing is posted once, whoever owes it and however often."""
    return Owed(
        f"team:{key}",
        PostKind.TEAM_POST,
        f"team:{key}",
        at,
        channel=channel,
        payload={"notice": notice.value, **payload},
    )


def new_contact_post(contact_id: int, channel: str, at: float) -> Owed:
    return team_post(
        f"contact:{contact_id}", TeamNotice.NEW_CONTACT, channel, at, contact=contact_id
    )


def new_contact_taken(contact_id: int, at: float) -> Owed:
    """The new contact's post redrawn to say who took it (after its post, in its topic)."""
    return Owed(
        f"team:contact:{contact_id}:taken",
        PostKind.TEAM_UPDATE,
        f"team:contact:{contact_id}",
        at,
        payload={"contact": contact_id},
    )


def home_topic(user: str) -> str:
    """One person's Home tab: its redraws go out one at a time, in order."""
    return f"home:{user}"


def home_view(user: str, version: str, at: float, *, locale: str, zone: str) -> Owed:
    """views.publish of `user`'s Home tab, drawn when it goes out, in their language.
    `version` says what made it owed (an open, a click, what the Home shows now), so the same
    change owes one redraw."""
    return Owed(
        f"home:{user}:{version}",
        PostKind.HOME,
        home_topic(user),
        at,
        user=user,
        payload={"locale": locale, "zone": zone},
    )


def history_file(request_key: str, user: str, at: float, **payload: Any) -> Owed:
    """`/heynow history --csv`: the file, in the DM of the person who asked. Its key is the
    command's own (Slack's retry of it owes it again: one file)."""
    return Owed(
        f"history:{request_key}",
        PostKind.HISTORY_CSV,
        f"user:{user}",
        at,
        channel=user,
        user=user,
        payload=payload,
    )


def digest(channel: str, day: date, at: float) -> Owed:
    """The daily digest of local date `day` in HEYNOW_NOTIFY_CHANNEL. Its key is the date: owed
    every minute after HEYNOW_DIGEST_TIME, by any number of processes and restarts, it is one
    row, and so one post. Its own topic: a digest that waits out a failing Slack holds up no
    other post."""
    key = f"digest:{day.isoformat()}"
    return Owed(key, PostKind.DIGEST, key, at, channel=channel, payload={"date": day.isoformat()})
