"""The state model: what a send, a status and an owed Slack post can be, defined once."""

from bot.domain.states import (
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
)

__all__ = [
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
]
