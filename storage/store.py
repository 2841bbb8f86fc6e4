"""The Store: one SQLite connection shared by the app's threads behind one lock.

Bolt listeners, the poller and the notifier all write here from different threads, so every
operation holds `_lock`, and every write runs in a `BEGIN IMMEDIATE` transaction (a deferred one
can fail with SQLITE_BUSY when another process, say a person's `sqlite3` shell, holds the file).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage.database import open_database

NOTICE_ORDER = ("announce", "one_tick", "delivered", "read", "stuck", "gave_up")
STATUS_ORDER = ("?", "RS", "RU", "LU")
STATUS_COLUMNS = {"RS": "rs_at", "RU": "ru_at", "LU": "lu_at"}


@dataclass(frozen=True)
class Message:
    """A row of `messages`."""

    id: int
    request_key: str
    team_id: str | None
    slack_channel: str
    slack_user: str
    posted_channel: str | None
    slack_ts: str | None
    channel_id: int
    platform_id: str
    client_id: str
    client_name: str | None
    text: str
    validate: int
    id_message_hey: str | None
    send_state: str
    error: str | None
    status: str
    created_at: float
    sent_at: float | None
    rs_at: float | None
    ru_at: float | None
    lu_at: float | None
    checked_at: float | None
    next_poll_at: float | None
    poll_interval: float | None
    poll_failures: int
    outcome: str | None

    @property
    def thread(self) -> tuple[str, str] | None:
        """(channel, ts) of the tracking post, once it is posted: where updates go."""
        if self.posted_channel and self.slack_ts:
            return self.posted_channel, self.slack_ts
        return None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Message:
        values: dict[str, Any] = {f.name: row.get(f.name) for f in fields(cls)}
        return cls(**values)


@dataclass(frozen=True)
class Notice:
    """A Slack post owed for a message, with the message it is about."""

    kind: str
    attempts: int
    message: Message


class Store:
    def __init__(self, path: str | Path) -> None:
        opened = open_database(path)
        self.db = opened.db
        self.schema_version = opened.schema_version
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def _write(self) -> Iterator[Database]:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.db.query(sql, params))

    # -- token (bot.heynow.client.TokenCache) ---------------------------------------------

    def load_token(self, account: str) -> tuple[str, float] | None:
        rows = self._rows("SELECT token, expires_at FROM tokens WHERE account = ?", [account])
        return (rows[0]["token"], rows[0]["expires_at"]) if rows else None

    def save_token(self, account: str, token: str, expires_at: float) -> None:
        with self._write() as db:
            db.table("tokens").upsert(
                {
                    "account": account,
                    "token": token,
                    "expires_at": expires_at,
                    "saved_at": time.time(),
                },
                pk="account",
            )

    # -- messages -------------------------------------------------------------------------

    def claim_send(self, row: dict[str, Any]) -> int | None:
        """Record a send before it happens; None if its request_key was seen (a Slack retry)."""
        try:
            with self._write() as db:
                return (
                    db.table("messages").insert({**row, "send_state": "sending"}, pk="id").last_pk
                )
        except sqlite3.IntegrityError as exc:
            if "request_key" not in str(exc):
                raise  # a missing column is a bug, not a repeat
            return None

    def get_message(self, message_id: int) -> Message | None:
        rows = self._rows("SELECT * FROM messages WHERE id = ?", [message_id])
        return Message.from_row(rows[0]) if rows else None

    def find_by_hey_id(self, id_message_hey: str) -> Message | None:
        rows = self._rows(
            "SELECT * FROM messages WHERE id_message_hey = ? ORDER BY id DESC LIMIT 1",
            [id_message_hey],
        )
        return Message.from_row(rows[0]) if rows else None

    def recent_for_user(
        self, team_id: str | None, slack_user: str, limit: int = 10
    ) -> list[Message]:
        rows = self._rows(
            "SELECT * FROM messages WHERE team_id IS ? AND slack_user = ? ORDER BY id DESC LIMIT ?",
            [team_id, slack_user, limit],
        )
        return [Message.from_row(r) for r in rows]

    def mark_sent(
        self, message_id: int, id_message_hey: str | None, now: float, first_poll_at: float
    ) -> None:
        """The send went out: track it if Hey Now gave us an id, and owe the channel its post."""
        tracked = id_message_hey is not None
        with self._write() as db:
            db.table("messages").update(
                message_id,
                {
                    "send_state": "sent",
                    "id_message_hey": id_message_hey,
                    "sent_at": now,
                    "next_poll_at": first_poll_at if tracked else None,
                    "poll_interval": first_poll_at - now if tracked else None,
                    "outcome": None if tracked else "untracked",
                },
            )
            self._owe(db, message_id, "announce", now)

    def mark_failed(self, message_id: int, send_state: str, error: str) -> None:
        """`rejected` (Hey Now said no: nothing went out) or `unknown` (the answer was lost)."""
        with self._write() as db:
            db.table("messages").update(
                message_id, {"send_state": send_state, "error": error[:500]}
            )

    def set_client_name(self, message_id: int, name: str) -> None:
        with self._write() as db:
            db.table("messages").update(message_id, {"client_name": name})

    def set_tracking_post(self, message_id: int, channel: str, ts: str) -> None:
        with self._write() as db:
            db.table("messages").update(message_id, {"posted_channel": channel, "slack_ts": ts})

    # -- polling --------------------------------------------------------------------------

    def due_for_poll(self, now: float, limit: int) -> list[Message]:
        rows = self._rows(
            "SELECT * FROM messages WHERE next_poll_at IS NOT NULL AND next_poll_at <= ? "
            "ORDER BY next_poll_at LIMIT ?",
            [now, limit],
        )
        return [Message.from_row(r) for r in rows]

    def record_status(
        self,
        message_id: int,
        status: str,
        now: float,
        *,
        next_poll_at: float | None,
        poll_interval: float,
        outcome: str | None = None,
        owe: tuple[str, ...] = (),
    ) -> None:
        """Store one observation and the notices it makes owed, in one transaction."""
        changes: dict[str, Any] = {
            "status": status,
            "checked_at": now,
            "next_poll_at": next_poll_at,
            "poll_interval": poll_interval,
            "poll_failures": 0,
            "outcome": outcome,
        }
        with self._write() as db:
            current = db.table("messages").get(message_id)
            for code in STATUS_ORDER[1 : _rank(status) + 1]:  # a poll may skip RU: RS -> LU
                if current[STATUS_COLUMNS[code]] is None:
                    changes[STATUS_COLUMNS[code]] = now
            db.table("messages").update(message_id, changes)
            for kind in owe:
                self._owe(db, message_id, kind, now)

    def record_poll_failure(
        self, message_id: int, now: float, next_poll_at: float, poll_interval: float
    ) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE messages SET poll_failures = poll_failures + 1, checked_at = ?, "
                "next_poll_at = ?, poll_interval = ? WHERE id = ?",
                [now, next_poll_at, poll_interval, message_id],
            )

    def stop_polling(
        self, message_id: int, outcome: str, now: float, *, owe: tuple[str, ...] = ()
    ) -> None:
        """End polling with its outcome and the notices that ending owes, in one transaction."""
        with self._write() as db:
            db.table("messages").update(message_id, {"next_poll_at": None, "outcome": outcome})
            for kind in owe:
                self._owe(db, message_id, kind, now)

    # -- notices (the outbox of Slack posts) ----------------------------------------------

    def owe_notice(self, message_id: int, kind: str, now: float) -> None:
        with self._write() as db:
            self._owe(db, message_id, kind, now)

    @staticmethod
    def _owe(db: Database, message_id: int, kind: str, now: float) -> None:
        abandoned = db.execute(
            "SELECT 1 FROM notices WHERE message_id = ? AND kind = 'announce' AND abandoned = 1",
            [message_id],
        ).fetchone()
        db.table("notices").insert(
            {
                "message_id": message_id,
                "kind": kind,
                "created_at": now,
                "abandoned": int(bool(abandoned)),
            },
            pk=("message_id", "kind"),
            ignore=True,
        )

    def pending_notices(self, limit: int = 50, message_id: int | None = None) -> list[Notice]:
        order = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(NOTICE_ORDER))
        where = "AND n.message_id = ?" if message_id is not None else ""
        params = [message_id, limit] if message_id is not None else [limit]
        rows = self._rows(
            "SELECT n.kind AS notice_kind, n.attempts AS notice_attempts, m.* FROM notices n "
            "JOIN messages m ON m.id = n.message_id "
            f"WHERE n.posted_at IS NULL AND n.abandoned = 0 {where} "
            f"ORDER BY n.message_id, CASE n.kind {order} ELSE 99 END LIMIT ?",
            params,
        )
        return [
            Notice(
                kind=r.pop("notice_kind"),
                attempts=r.pop("notice_attempts"),
                message=Message.from_row(r),
            )
            for r in rows
        ]

    def mark_notice_posted(self, message_id: int, kind: str, now: float) -> None:
        with self._write() as db:
            db.table("notices").update((message_id, kind), {"posted_at": now})

    def mark_notice_failed(self, message_id: int, kind: str, error: str, *, abandon: bool) -> None:
        """Count a failed post; an abandoned announce takes its thread notices with it,
        since they can never be posted and would otherwise wait in the outbox forever."""
        with self._write() as db:
            db.execute(
                "UPDATE notices SET attempts = attempts + 1, last_error = ?, abandoned = ? "
                "WHERE message_id = ? AND kind = ?",
                [error[:500], int(abandon), message_id, kind],
            )
            if abandon and kind == "announce":
                db.execute(
                    "UPDATE notices SET abandoned = 1 WHERE message_id = ? AND posted_at IS NULL",
                    [message_id],
                )

    def mark_interrupted_sends_unknown(self) -> int:
        """Sends left `sending` by a process that died mid-send may have gone out: say so.

        Only one app process uses a database, so at start-up no send is really in flight.
        """
        with self._write() as db:
            cursor = db.execute(
                "UPDATE messages SET send_state = 'unknown', error = 'interrupted by a restart' "
                "WHERE send_state = 'sending'"
            )
            return cursor.rowcount


def _rank(status: str) -> int:
    """Position of a status in its forward-only order: ? < RS < RU < LU."""
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else 0
