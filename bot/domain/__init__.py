"""The state model: what a send, a status and an owed Slack post can be, defined once."""

from bot.domain.states import (
    OutboxState,
    Outcome,
    PostKind,
    Reply,
    SenderNotice,
    SendState,
    Status,
)

__all__ = [
    "OutboxState",
    "Outcome",
    "PostKind",
    "Reply",
    "SendState",
    "SenderNotice",
    "Status",
]
