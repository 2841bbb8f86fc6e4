"""`/heynow history`: what one ask reads (a query), and what it finds (entries).

A query is decided once, when it is asked: who may see what (a sender their own messages, an
approver everyone's), the clients it is about, and its window, whose end is the moment of the
ask. It travels in an outbox row's payload as it is, so a file made later holds what the
person would have seen then, and no permission is judged twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.states import Outcome, RecipientState, SendState, Status

DAY = 86_400.0
DEFAULT_DAYS = 7
MAX_DAYS = 90  # a quarter: what support looks back over; the file says when it is cut

# A mass send's recipient, in the words of a single send: a refusal is a send Hey Now rejected.
RECIPIENT_SEND_STATE = {
    RecipientState.PENDING: SendState.QUEUED,
    RecipientState.SENDING: SendState.SENDING,
    RecipientState.SENT: SendState.SENT,
    RecipientState.FAILED: SendState.REJECTED,
    RecipientState.UNKNOWN: SendState.UNKNOWN,
}


@dataclass(frozen=True)
class HistoryQuery:
    """Sends of `team_id` between `since` and `until` (unix times), by `sender` (None: anyone;
    only an approver's query has None) and to one of `clients` (empty: any client)."""

    team_id: str | None
    viewer: str  # who asked: the file goes to them
    sender: str | None
    clients: tuple[str, ...]
    days: int
    until: float
    client_typed: str = ""  # as the person typed it, for the answer's title

    @property
    def since(self) -> float:
        return self.until - self.days * DAY

    @property
    def everyone(self) -> bool:
        return self.sender is None

    def payload(self) -> dict[str, Any]:
        return {
            "team": self.team_id,
            "viewer": self.viewer,
            "sender": self.sender,
            "clients": list(self.clients),
            "days": self.days,
            "until": self.until,
            "client_typed": self.client_typed,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> HistoryQuery:
        return cls(
            team_id=payload.get("team"),
            viewer=str(payload["viewer"]),
            sender=payload.get("sender"),
            clients=tuple(str(c) for c in payload.get("clients") or ()),
            days=int(payload["days"]),
            until=float(payload["until"]),
            client_typed=str(payload.get("client_typed") or ""),
        )


@dataclass(frozen=True)
class HistoryEntry:
    """One message to one client: a single send (`mass_id` None, `id` the message's) or one
    recipient of a mass send (`id` the recipient's). `at` is when it was asked (a single
    send) or sent (a recipient; when it was never sent, when its run started)."""

    id: int
    at: float
    sender: str
    channel_id: int
    platform_id: str
    client_id: str
    client_name: str | None
    text: str
    send_state: SendState
    status: Status
    outcome: Outcome | None
    delivered_at: float | None
    read_at: float | None
    id_message_hey: str | None
    mass_id: int | None
    posted_channel: str | None  # where its post is: the send's channel post, a mass send's
    # approval post

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> HistoryEntry:
        mass = row["mass_id"] is not None
        state = (
            RECIPIENT_SEND_STATE[RecipientState(row["state"])] if mass else SendState(row["state"])
        )
        return cls(
            id=int(row["id"]),
            at=float(row["at"]),
            sender=str(row["sender"]),
            channel_id=int(row["channel_id"]),
            platform_id=str(row["platform_id"]),
            client_id=str(row["client_id"]),
            client_name=row["client_name"],
            text=str(row["text"] or ""),
            send_state=state,
            status=Status.of(row["status"]),
            outcome=Outcome(row["outcome"]) if row["outcome"] else None,
            delivered_at=row["delivered_at"],
            read_at=row["read_at"],
            id_message_hey=row["id_message_hey"],
            mass_id=int(row["mass_id"]) if mass else None,
            posted_channel=row["posted_channel"],
        )
