"""The rows the app works with, typed: what storage hands to services, jobs and renderers."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from bot.domain.states import OutboxState, Outcome, PostKind, SendState, Status


@dataclass(frozen=True)
class Message:
    """One send asked from Slack: the map from the Slack request to its idMessageHey."""

    id: int
    request_key: str
    team_id: str | None
    slack_channel: str
    slack_user: str
    response_url: str | None
    posted_channel: str | None
    slack_ts: str | None
    channel_id: int
    platform_id: str
    client_id: str
    client_name: str | None
    text: str
    validate: int
    id_message_hey: str | None
    send_state: SendState
    error: str | None
    status: Status
    created_at: float
    sent_at: float | None
    rs_at: float | None
    ru_at: float | None
    lu_at: float | None
    checked_at: float | None
    next_poll_at: float | None
    poll_interval: float | None
    poll_failures: int
    not_found: int
    outcome: Outcome | None
    lease_owner: str | None
    lease_expires: float | None
    shown_line: str | None
    locale: str | None = None  # the sender's, as Babel names it (es_UY): what posts are written in
    zone: str | None = None  # the sender's time zone

    @property
    def thread(self) -> tuple[str, str] | None:
        """(channel, ts) of the channel post, once it is posted: where updates go."""
        if self.posted_channel and self.slack_ts:
            return self.posted_channel, self.slack_ts
        return None

    @property
    def line_state(self) -> str:
        """What the channel post's status line depends on: equal states render equal lines."""
        return f"{self.send_state}/{self.status}/{self.outcome or ''}"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Message:
        values: dict[str, Any] = {f.name: row.get(f.name) for f in fields(cls)}
        values["send_state"] = SendState(values["send_state"])
        values["status"] = Status.of(values["status"])
        values["outcome"] = Outcome(values["outcome"]) if values["outcome"] else None
        values["poll_failures"] = values["poll_failures"] or 0
        values["not_found"] = values["not_found"] or 0
        return cls(**values)


@dataclass(frozen=True)
class OutboxRow:
    """One Slack call the app owes, as claimed by a poster (with its message, if any)."""

    id: int
    dedupe_key: str
    kind: PostKind
    topic: str
    channel: str | None
    user: str | None
    payload: dict[str, Any]
    state: OutboxState
    attempts: int
    created_at: float
    first_tried_at: float  # the give-up clock starts at the first try
    maybe_posted: bool
    attempt_channel: str | None
    lease_owner: str  # this claim's own token: only it may record the outcome
    message: Message | None
