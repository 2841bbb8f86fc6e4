"""`/heynow history`: the messages of a window, newest first, single sends and mass sends' alike.

One SELECT over `messages` (idx_messages_user for one sender, idx_messages_created for
everyone's) and `mass_recipients`, whose time is when each was sent (a recipient never sent
takes its run's start). Only mass sends whose run overlaps the window are read.

The file reads its rows in batches after the newest (at, kind, id) it has, so the lock is not
held while it is written, and a long history costs its reader, not every other thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.domain.history import HistoryEntry, HistoryQuery
from storage.base import Db

BATCH = 500

_SENDS = """
SELECT m.id AS id, m.created_at AS at, 0 AS kind, m.slack_user AS sender,
  m.channel_id AS channel_id, m.platform_id AS platform_id, m.client_id AS client_id,
  m.client_name AS client_name, m.text AS text, m.send_state AS state, m.status AS status,
  m.outcome AS outcome, m.ru_at AS delivered_at, m.lu_at AS read_at,
  m.id_message_hey AS id_message_hey, NULL AS mass_id,
  COALESCE(m.posted_channel, m.slack_channel) AS posted_channel
FROM messages AS m
WHERE m.team_id IS :team AND m.created_at >= :since AND m.created_at <= :until {sends}
"""
_RECIPIENTS = """
SELECT r.id AS id, COALESCE(r.sent_at, q.started_at) AS at, 1 AS kind, q.requester AS sender,
  q.channel_id AS channel_id, q.platform_id AS platform_id, r.client_id AS client_id,
  NULL AS client_name, r.text AS text, r.state AS state, r.status AS status, NULL AS outcome,
  NULL AS delivered_at, NULL AS read_at, r.id_message_hey AS id_message_hey, q.id AS mass_id,
  q.approval_channel AS posted_channel
FROM mass_requests AS q JOIN mass_recipients AS r ON r.request_id = q.id
WHERE q.team_id IS :team AND q.started_at IS NOT NULL AND q.started_at <= :until
  AND (q.finished_at IS NULL OR q.finished_at >= :since) AND r.state != 'pending'
  AND COALESCE(r.sent_at, q.started_at) >= :since AND COALESCE(r.sent_at, q.started_at) <= :until
  {recipients}
"""


class History:
    def __init__(self, db: Db) -> None:
        self._db = db

    def count(self, query: HistoryQuery) -> int:
        sql, params = _union(query)
        return int(self._db.rows(f"SELECT COUNT(*) AS n FROM ({sql})", params)[0]["n"])

    def newest(self, query: HistoryQuery, limit: int) -> list[HistoryEntry]:
        """The `limit` newest entries of the query's window."""
        return self._page(query, limit, None)

    def each(self, query: HistoryQuery, cap: int) -> Iterator[HistoryEntry]:
        """Every entry of the window, newest first, up to `cap` of them."""
        after: tuple[float, int, int] | None = None
        left = cap
        while left > 0:
            page = self._page(query, min(BATCH, left), after)
            yield from page
            if len(page) < min(BATCH, left):
                return
            left -= len(page)
            last = page[-1]
            after = (last.at, 0 if last.mass_id is None else 1, last.id)

    def _page(
        self, query: HistoryQuery, limit: int, after: tuple[float, int, int] | None
    ) -> list[HistoryEntry]:
        sql, params = _union(query)
        where = ""
        if after is not None:
            where = "WHERE (at, kind, id) < (:after_at, :after_kind, :after_id)"
            params |= {"after_at": after[0], "after_kind": after[1], "after_id": after[2]}
        rows = self._db.rows(
            f"SELECT * FROM ({sql}) {where} ORDER BY at DESC, kind DESC, id DESC LIMIT :limit",
            {**params, "limit": limit},
        )
        return [HistoryEntry.from_row(row) for row in rows]


def _union(query: HistoryQuery) -> tuple[str, dict[str, Any]]:
    """Both halves with the query's filters, and their parameters."""
    params: dict[str, Any] = {"team": query.team_id, "since": query.since, "until": query.until}
    sends = recipients = ""
    if query.sender is not None:
        sends += " AND m.slack_user = :sender"
        recipients += " AND q.requester = :sender"
        params["sender"] = query.sender
    if query.clients:
        marks = ", ".join(f":client{n}" for n in range(len(query.clients)))
        sends += f" AND m.client_id IN ({marks})"
        recipients += f" AND r.client_id IN ({marks})"
        params |= {f"client{n}": client for n, client in enumerate(query.clients)}
    sql = _SENDS.format(sends=sends) + " UNION ALL " + _RECIPIENTS.format(recipients=recipients)
    return sql, params
