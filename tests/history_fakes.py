"""Single sends as `/heynow history` holds and shows them, for the tests of what it shows."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.domain.history import HistoryEntry, HistoryQuery
from bot.domain.records import Message
from bot.services.history import HistoryPage
from bot.slack.history_blocks import history_blocks


def entry_of(message: Message, **changes: Any) -> HistoryEntry:
    """A single send as the history holds it."""
    made = HistoryEntry(
        id=message.id,
        at=message.created_at,
        sender=message.slack_user,
        channel_id=message.channel_id,
        platform_id=message.platform_id,
        client_id=message.client_id,
        client_name=message.client_name,
        text=message.text,
        send_state=message.send_state,
        status=message.status,
        outcome=message.outcome,
        delivered_at=message.ru_at,
        read_at=message.lu_at,
        id_message_hey=message.id_message_hey,
        mass_id=None,
        posted_channel=message.posted_channel,
    )
    return replace(made, **changes)


def history_of(messages: list[Message], **query: Any) -> list[dict[str, Any]]:
    """The answer to `/heynow history` of the messages' sender (or, with sender=None, an
    approver's view of everyone's), holding these messages."""
    viewer = messages[0].slack_user if messages else "U1"
    asked = replace(HistoryQuery("T", viewer, viewer, (), 7, 1_700_000_000.0), **query)
    return history_blocks(HistoryPage(asked, [entry_of(m) for m in messages], len(messages)), {})
