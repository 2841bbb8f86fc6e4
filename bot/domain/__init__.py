"""The state model: what a send, a status and an owed Slack post can be, defined once."""

from bot.domain.states import (
    Health,
    MassEvent,
    MassState,
    OutboxState,
    Outcome,
    PauseReason,
    PostKind,
    RecipientState,
    Reply,
    SenderNotice,
    SendState,
    Status,
    TeamNotice,
)

__all__ = [
    "Health",
    "MassEvent",
    "MassState",
    "OutboxState",
    "Outcome",
    "PauseReason",
    "PostKind",
    "RecipientState",
    "Reply",
    "SendState",
    "SenderNotice",
    "Status",
    "TeamNotice",
]
