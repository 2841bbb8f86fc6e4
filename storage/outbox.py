"""The outbox: every Slack call the app owes, claimed by posters with a lease.

A poster may take a row only when it is due, not leased by a live poster, and the first due row
of its topic (so a thread's replies keep their order while different threads go in parallel).
Every query here touches due rows only (partial indexes), whatever the history holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from bot.domain import OutboxState, PostKind
from bot.domain.owed import Owed
from bot.domain.records import Message, OutboxRow
from storage.base import Db

_CLAIM = """
SELECT o.id FROM outbox AS o
WHERE o.state = 'due' AND o.next_attempt_at <= :now
  AND (o.lease_expires IS NULL OR o.lease_expires <= :now)
  AND NOT EXISTS (
    SELECT 1 FROM outbox AS p WHERE p.state = 'due' AND p.topic = o.topic AND p.id < o.id
  )
ORDER BY o.next_attempt_at LIMIT 1
"""


def owe(db: Database, owed: Owed) -> None:
    """Add one owed call inside the caller's transaction; owing it again is a no-op.

    A row is never due before the rows ahead of it in its topic: then only a topic's first row
    is ever due, and a claim skips the rows queued behind a backed-off first row by index."""
    db.execute(
        "INSERT INTO outbox (dedupe_key, kind, topic, message_id, channel, user, payload, state, "
        "attempts, next_attempt_at, created_at, maybe_posted) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'due', 0, MAX(?, COALESCE((SELECT MAX(next_attempt_at) "
        "FROM outbox WHERE topic = ? AND state = 'due'), 0)), ?, 0) "
        "ON CONFLICT(dedupe_key) DO NOTHING",
        [
            owed.dedupe_key,
            owed.kind.value,
            owed.topic,
            owed.message_id,
            owed.channel,
            owed.user,
            json.dumps(owed.payload),
            owed.next_attempt_at,
            owed.topic,
            owed.at,
        ],
    )


class Outbox:
    def __init__(self, db: Db) -> None:
        self._db = db

    def owe(self, owed: Owed) -> None:
        with self._db.write() as db:
            owe(db, owed)

    def claim(self, owner: str, now: float, lease_seconds: float) -> OutboxRow | None:
        """Take the next due row for `owner`. A row still leased by someone whose lease ran
        out was cut off mid-post (a crash): it may have reached Slack, so it is marked so."""
        with self._db.write() as db:
            found = db.execute(_CLAIM, {"now": now}).fetchone()
            if found is None:
                return None
            db.execute(
                "UPDATE outbox SET maybe_posted = CASE WHEN lease_owner IS NOT NULL THEN 1 "
                "ELSE maybe_posted END, lease_owner = ?, lease_expires = ?, "
                "attempts = attempts + 1, attempt_channel = COALESCE(attempt_channel, channel), "
                "first_tried_at = COALESCE(first_tried_at, ?) WHERE id = ?",
                [owner, now + lease_seconds, now, found[0]],
            )
            record = one(db, "SELECT * FROM outbox WHERE id = ?", [found[0]])
            assert record is not None  # claimed inside this transaction
            message = None
            if record["message_id"] is not None:
                found_message = one(
                    db, "SELECT * FROM messages WHERE id = ?", [record["message_id"]]
                )
                message = Message.from_row(found_message) if found_message else None
        return _row(record, message)

    def posted(
        self,
        row: OutboxRow,
        channel: str | None,
        ts: str | None,
        now: float,
        shown_line: str | None = None,
        tell: Owed | None = None,
    ) -> None:
        """Slack took it. An announce gives its message a thread; an announce or an update
        records the status line the post now shows; `tell` is owed in the same transaction."""
        with self._db.write() as db:
            if tell is not None:
                owe(db, tell)
            db.execute(
                "UPDATE outbox SET state = 'posted', posted_at = ?, posted_channel = ?, "
                "posted_ts = ?, lease_owner = NULL, lease_expires = NULL "
                "WHERE id = ? AND lease_owner = ?",
                [now, channel, ts, row.id, row.lease_owner],
            )
            if row.message is None:
                return
            if row.kind is PostKind.ANNOUNCE:
                db.execute(
                    "UPDATE messages SET posted_channel = ?, slack_ts = ? WHERE id = ?",
                    [channel, ts, row.message.id],
                )
            if shown_line is not None:
                db.execute(
                    "UPDATE messages SET shown_line = ? WHERE id = ?", [shown_line, row.message.id]
                )

    def note_attempt(self, row: OutboxRow, channel: str) -> None:
        """Where the call about to be made goes: a crash mid-call leaves this to look in."""
        with self._db.write() as db:
            db.execute(
                "UPDATE outbox SET attempt_channel = ? WHERE id = ? AND lease_owner = ?",
                [channel, row.id, row.lease_owner],
            )

    def retry_later(
        self,
        row: OutboxRow,
        *,
        error: str,
        at: float,
        maybe_posted: bool,
        attempt_channel: str | None = None,
    ) -> None:
        with self._db.write() as db:
            db.execute(
                "UPDATE outbox SET next_attempt_at = ?, last_error = ?, maybe_posted = ?, "
                "attempt_channel = COALESCE(?, attempt_channel), lease_owner = NULL, "
                "lease_expires = NULL WHERE id = ? AND lease_owner = ?",
                [at, error[:500], int(maybe_posted), attempt_channel, row.id, row.lease_owner],
            )
            db.execute(  # the rest of its topic waits behind it (see owe)
                "UPDATE outbox SET next_attempt_at = MAX(next_attempt_at, ?) "
                "WHERE topic = ? AND state = 'due' AND id > ?",
                [at, row.topic, row.id],
            )

    def set_aside(
        self,
        row: OutboxRow,
        state: OutboxState,
        error: str = "",
        tell: Owed | None = None,
    ) -> None:
        """End a row without posting it: superseded, or given up (owing, in the same
        transaction, the note to the person who waits for it). A given-up channel post takes
        its thread with it, since replies to a post that never appeared cannot go out."""
        with self._db.write() as db:
            db.execute(
                "UPDATE outbox SET state = ?, last_error = ?, lease_owner = NULL, "
                "lease_expires = NULL WHERE id = ? AND lease_owner = ?",
                [state.value, error[:500], row.id, row.lease_owner],
            )
            if state is OutboxState.GIVEN_UP and row.kind is PostKind.ANNOUNCE:
                db.execute(
                    "UPDATE outbox SET state = 'given_up', last_error = 'its channel post was "
                    "given up' WHERE topic = ? AND state = 'due'",
                    [row.topic],
                )
            if tell is not None:
                owe(db, tell)

    def defer_channel(self, channel: str, until: float) -> int:
        """A 429 for a channel: every due post to it waits out the Retry-After, in one update,
        instead of each being claimed only to be put back (costing other channels' turns)."""
        with self._db.write() as db:
            cursor = db.execute(
                "UPDATE outbox SET next_attempt_at = MAX(next_attempt_at, :until) "
                "WHERE id IN (SELECT o.id FROM outbox AS o LEFT JOIN messages AS m "
                "ON m.id = o.message_id WHERE o.state = 'due' AND o.lease_owner IS NULL "
                "AND (o.channel = :channel OR (o.kind IN ('reply', 'status_line') "
                "AND m.posted_channel = :channel)))",
                {"until": until, "channel": channel},
            )
            return cursor.rowcount

    def release_gone(self, gone: Callable[[str], bool], now: float) -> int:
        """Rows leased by a process that is gone are free now (and marked as maybe posted by
        the next claim), instead of waiting for their lease to run out."""
        with self._db.write() as db:
            owners = [
                r["lease_owner"]
                for r in db.query(
                    "SELECT DISTINCT lease_owner FROM outbox WHERE state = 'due' "
                    "AND lease_owner IS NOT NULL AND lease_expires > ?",
                    [now],
                )
            ]
            dead = [owner for owner in owners if gone(owner)]
            for owner in dead:
                db.execute(
                    "UPDATE outbox SET lease_expires = ? WHERE state = 'due' AND lease_owner = ?",
                    [now, owner],
                )
        return len(dead)

    def pending(self, topic: str | None = None) -> list[dict[str, Any]]:
        """The due rows (for tests and the health report), oldest first."""
        where = "AND topic = ?" if topic else ""
        return self._db.rows(
            f"SELECT * FROM outbox WHERE state = 'due' {where} ORDER BY id",
            [topic] if topic else [],
        )

    def due_count(self) -> int:
        return int(self._db.rows("SELECT COUNT(*) AS n FROM outbox WHERE state = 'due'")[0]["n"])

    def for_message(self, message_id: int) -> list[dict[str, Any]]:
        return self._db.rows("SELECT * FROM outbox WHERE message_id = ? ORDER BY id", [message_id])


def one(db: Database, sql: str, params: Any) -> dict[str, Any] | None:
    """The first row of a query as a dict, inside the caller's transaction."""
    cursor = db.execute(sql, params)
    values = cursor.fetchone()
    if values is None:
        return None
    return dict(zip([d[0] for d in cursor.description], values, strict=True))


def _row(record: dict[str, Any], message: Message | None) -> OutboxRow:
    try:
        payload = json.loads(record["payload"] or "{}")
    except ValueError:
        payload = {}
    return OutboxRow(
        id=record["id"],
        dedupe_key=record["dedupe_key"],
        kind=PostKind(record["kind"]),
        topic=record["topic"],
        channel=record["channel"],
        user=record["user"],
        payload=payload if isinstance(payload, dict) else {},
        state=OutboxState(record["state"]),
        attempts=record["attempts"],
        created_at=record["created_at"],
        first_tried_at=record["first_tried_at"] or record["created_at"],
        maybe_posted=bool(record["maybe_posted"]),
        attempt_channel=record["attempt_channel"],
        lease_owner=record["lease_owner"] or "",
        message=message,
    )
