"""Sends: recorded before the ack, claimed by workers with a lease, followed until read.

Every change of a send's state is a compare-and-set (`WHERE send_state = ? AND lease_owner = ?`),
and every status observation is decided on the row as it is inside the write transaction, so a
second thread or process loses races cleanly instead of moving a message backwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.domain import SenderNotice, SendState
from bot.domain.owed import Owed, announce, message_topic, reply, sender_notice, status_line
from bot.domain.records import Message
from bot.domain.tracking import Transition
from storage.base import Db
from storage.outbox import one, owe

# The columns a send is created with (the rest have defaults or are filled as it goes).
INTAKE_COLUMNS = (
    "request_key",
    "team_id",
    "slack_channel",
    "slack_user",
    "response_url",
    "channel_id",
    "platform_id",
    "client_id",
    "text",
    "validate",
    "created_at",
    "locale",
    "zone",
)


@dataclass(frozen=True)
class Recovered:
    """What start-up (or a lease sweep) found of sends cut off by a stop."""

    interrupted: int  # were at Hey Now: now unknown
    expired: int  # never started and too old to send now


class Messages:
    def __init__(self, db: Db) -> None:
        self._db = db

    # -- intake ---------------------------------------------------------------------------

    def enqueue(self, values: dict[str, Any]) -> int | None:
        """Record a send before the ack; None when its request_key was seen (a retry, a
        double submit). Raises StorageUnavailable when the database cannot take it."""
        row = {name: values.get(name) for name in INTAKE_COLUMNS}
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        try:
            with self._db.write() as db:
                cursor = db.execute(
                    f"INSERT INTO messages ({columns}, send_state, status) "
                    f"VALUES ({marks}, 'queued', '?')",
                    list(row.values()),
                )
                return cursor.lastrowid
        except sqlite3.IntegrityError as exc:
            if "request_key" not in str(exc):
                raise  # a missing column is a bug, not a repeat
            return None

    def claim_send(self, owner: str, now: float, lease_seconds: float) -> Message | None:
        """Take the oldest queued send: from here until its outcome is written, `owner` owns it."""
        with self._db.write() as db:
            row = one(
                db,
                "UPDATE messages SET send_state = 'sending', lease_owner = ?, lease_expires = ? "
                "WHERE id = (SELECT id FROM messages WHERE send_state = 'queued' ORDER BY id "
                "LIMIT 1) RETURNING *",
                [owner, now + lease_seconds],
            )
        return Message.from_row(row) if row else None

    def mark_sent(
        self,
        message: Message,
        owner: str,
        hey_id: str,
        now: float,
        *,
        first_poll_at: float,
        announce_at: float,
    ) -> bool:
        """Hey Now took it: follow it, and owe its channel post (held until `announce_at`, by
        when the client's name is known: a crash before that still posts it, unnamed).

        An answer that comes after its lease ran out still counts: the sweep had closed the
        send as unknown, and Hey Now's answer says what really happened, so the sender is told
        the correction."""
        with self._db.write() as db:
            was = _holder_state(db, message.id, owner)
            if was is None:
                return False  # someone else decided it: leave it
            db.execute(
                "UPDATE messages SET send_state = 'sent', id_message_hey = ?, sent_at = ?, "
                "next_poll_at = ?, error = NULL, lease_owner = NULL, lease_expires = NULL "
                "WHERE id = ?",
                [hey_id, now, first_poll_at, message.id],
            )
            owe(db, announce(message, now, not_before=announce_at))
            if was is SendState.UNKNOWN:
                owe(db, sender_notice(message, SenderNotice.LATE_SENT, now))
        return True

    def name_and_announce(self, message_id: int, name: str | None, now: float) -> None:
        """Name the client in the post, and let the post go now."""
        with self._db.write() as db:
            if name:
                db.execute("UPDATE messages SET client_name = ? WHERE id = ?", [name, message_id])
            db.execute(  # the post, and what was owed behind it while it waited
                "UPDATE outbox SET next_attempt_at = ? WHERE topic = ? AND state = 'due' "
                "AND attempts = 0 AND next_attempt_at > ?",
                [now, message_topic(message_id), now],
            )

    def mark_failed(
        self,
        message: Message,
        owner: str,
        state: SendState,
        error: str,
        now: float,
        notice: SenderNotice,
        params: dict[str, Any],
    ) -> bool:
        """`rejected` (Hey Now said no) or `unknown` (the answer was lost), with the note owed
        to the sender, in one transaction."""
        with self._db.write() as db:
            was = _holder_state(db, message.id, owner)
            if was is None or (was is SendState.UNKNOWN and state is SendState.UNKNOWN):
                return False  # decided elsewhere, or already told as unknown
            db.execute(
                "UPDATE messages SET send_state = ?, error = ?, lease_owner = NULL, "
                "lease_expires = NULL WHERE id = ?",
                [state.value, error[:500], message.id],
            )
            owe(db, sender_notice(message, notice, now, **params))
        return True

    def recover(
        self, now: float, *, owner_gone: Callable[[str], bool], queued_before: float | None
    ) -> Recovered:
        """Sends whose worker died: `sending` ones may have reached Hey Now, so they become
        unknown; `queued` ones older than `queued_before` are closed as never sent. Each sender
        is told. A lease is dead when it ran out, or its owner's process is gone."""
        with self._db.write() as db:
            in_flight = [
                Message.from_row(r)
                for r in db.query("SELECT * FROM messages WHERE send_state = 'sending'")
            ]
            cut_off = [  # no owner: left by a version that held sends in memory
                m
                for m in in_flight
                if m.lease_owner is None
                or (m.lease_expires or 0) <= now
                or owner_gone(m.lease_owner)
            ]
            _close(db, cut_off, SendState.UNKNOWN, SenderNotice.INTERRUPTED, now)
            stale: list[Message] = []
            if queued_before is not None:
                stale = [
                    Message.from_row(r)
                    for r in db.query(
                        "SELECT * FROM messages WHERE send_state = 'queued' AND created_at < ?",
                        [queued_before],
                    )
                ]
            _close(db, stale, SendState.EXPIRED, SenderNotice.EXPIRED, now)
        return Recovered(interrupted=len(cut_off), expired=len(stale))

    def queued_count(self) -> int:
        rows = self._db.rows("SELECT COUNT(*) AS n FROM messages WHERE send_state = 'queued'")
        return int(rows[0]["n"])

    # -- reading --------------------------------------------------------------------------

    def get(self, message_id: int) -> Message | None:
        rows = self._db.rows("SELECT * FROM messages WHERE id = ?", [message_id])
        return Message.from_row(rows[0]) if rows else None

    def find_by_hey_id(self, id_message_hey: str) -> Message | None:
        rows = self._db.rows(
            "SELECT * FROM messages WHERE id_message_hey = ? ORDER BY id DESC LIMIT 1",
            [id_message_hey],
        )
        return Message.from_row(rows[0]) if rows else None

    def recent_for_user(
        self, team_id: str | None, slack_user: str, limit: int = 10
    ) -> list[Message]:
        rows = self._db.rows(
            "SELECT * FROM messages WHERE team_id IS ? AND slack_user = ? ORDER BY id DESC LIMIT ?",
            [team_id, slack_user, limit],
        )
        return [Message.from_row(r) for r in rows]

    # -- following ------------------------------------------------------------------------

    def claim_polls(self, now: float, limit: int, lease_seconds: float) -> list[Message]:
        """The sent messages due for a status check. Their next check is pushed a lease ahead
        in the same transaction, so no other poller takes them meanwhile; the observation
        sets the real next check, and a crash only delays them by the lease."""
        with self._db.write() as db:
            rows = list(
                db.query(
                    "SELECT * FROM messages WHERE next_poll_at IS NOT NULL AND next_poll_at <= ? "
                    "ORDER BY next_poll_at LIMIT ?",
                    [now, limit],
                )
            )
            db.conn.executemany(
                "UPDATE messages SET next_poll_at = ? WHERE id = ?",
                [(now + lease_seconds, r["id"]) for r in rows],
            )
        return [Message.from_row(r) for r in rows]

    def observe(
        self, message_id: int, decide: Callable[[Message], Transition | None], now: float
    ) -> Message | None:
        """Apply what `decide` makes of the row as stored now, and owe its posts, atomically."""
        with self._db.write() as db:
            row = one(db, "SELECT * FROM messages WHERE id = ?", [message_id])
            if row is None:
                return None
            current = Message.from_row(row)
            transition = decide(current)
            if transition is None:
                return current
            _update(db, message_id, transition.changes)
            for what in transition.replies:
                owe(db, reply(message_id, what, now))
            after = Message.from_row({**row, **transition.changes})
            if transition.refresh_line:
                owe(db, status_line(message_id, after.line_state, now))
            return after

    def owe_for(self, message_id: int, make: Callable[[Message], Owed | None]) -> None:
        """Owe a post built from the message as stored now (no-op if `make` returns None)."""
        with self._db.write() as db:
            row = one(db, "SELECT * FROM messages WHERE id = ?", [message_id])
            owed = make(Message.from_row(row)) if row else None
            if owed is not None:
                owe(db, owed)


CLOSED_BECAUSE = {
    SendState.UNKNOWN: "the app lost its lease while Hey Now was answering",
    SendState.EXPIRED: "not sent: the app stopped first",
}


def _holder_state(db: Any, message_id: int, owner: str) -> SendState | None:
    """The send's state if `owner` may still write its outcome: it holds the lease, or the
    sweep closed the send as unknown when that lease ran out. None otherwise."""
    row = one(
        db,
        "SELECT send_state, lease_owner, error FROM messages WHERE id = ?",
        [message_id],
    )
    if row is None:
        return None
    if row["send_state"] == SendState.SENDING and row["lease_owner"] == owner:
        return SendState.SENDING
    if row["send_state"] == SendState.UNKNOWN and row["error"] == CLOSED_BECAUSE[SendState.UNKNOWN]:
        return SendState.UNKNOWN
    return None


def _close(
    db: Any, messages: list[Message], state: SendState, notice: SenderNotice, now: float
) -> None:
    """End sends a dead worker left, each with its note to the sender."""
    for message in messages:
        db.execute(
            "UPDATE messages SET send_state = ?, error = ?, lease_owner = NULL, "
            "lease_expires = NULL WHERE id = ?",
            [state.value, CLOSED_BECAUSE[state], message.id],
        )
        owe(db, sender_notice(message, notice, now))


def _update(db: Any, message_id: int, changes: dict[str, Any]) -> None:
    assignments = ", ".join(f"{column} = ?" for column in changes)
    db.execute(f"UPDATE messages SET {assignments} WHERE id = ?", [*changes.values(), message_id])


__all__ = ["INTAKE_COLUMNS", "Messages", "Recovered"]
