"""`/heynow history`: the messages of a window, newest first, single sends and mass sends' alike.

One SELECT over `messages` (by m002's (team_id, slack_user, created_at) for one sender, by
idx_messages_created for everyone's: each read newest first, stopping at the page's size) and
`mass_recipients`, whose time is when each was sent (one never sent takes its run's start).
Only the recipients of mass sends whose run overlaps the window are read, request by request.

The file reads its rows in batches after the last (at, kind, id) it has, so the lock is not
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
WHERE {team} IS :team AND m.created_at >= :since AND m.created_at <= :until {where}
"""
_RECIPIENTS = """
SELECT r.id AS id, COALESCE(r.sent_at, q.started_at) AS at, 1 AS kind, q.requester AS sender,
  q.channel_id AS channel_id, q.platform_id AS platform_id, r.client_id AS client_id,
  NULL AS client_name, r.text AS text, r.state AS state, r.status AS status, NULL AS outcome,
  NULL AS delivered_at, NULL AS read_at, r.id_message_hey AS id_message_hey, q.id AS mass_id,
  q.approval_channel AS posted_channel
FROM mass_requests AS q CROSS JOIN mass_recipients AS r ON r.request_id = q.id
WHERE q.team_id IS :team AND q.started_at IS NOT NULL AND q.started_at <= :until
  AND (q.finished_at IS NULL OR q.finished_at >= :since) AND r.state != 'pending'
  AND COALESCE(r.sent_at, q.started_at) >= :since AND COALESCE(r.sent_at, q.started_at) <= :until
  {where}
"""
_ORDER = "ORDER BY at DESC, kind DESC, id DESC"
After = tuple[float, int, int]  # the (at, kind, id) of the last entry read: the next come after


class History:
    def __init__(self, db: Db) -> None:
        self._db = db

    def count(self, query: HistoryQuery) -> int:
        sends, recipients, params = _halves(query, None)
        sql = (
            f"SELECT (SELECT COUNT(*) FROM ({sends})) + (SELECT COUNT(*) FROM ({recipients})) AS n"
        )
        return int(self._db.rows(sql, params)[0]["n"])

    def newest(self, query: HistoryQuery, limit: int) -> list[HistoryEntry]:
        """The `limit` newest entries of the query's window."""
        return self._page(query, limit, None)

    def each(self, query: HistoryQuery, cap: int) -> Iterator[HistoryEntry]:
        """Every entry of the window, newest first, up to `cap` of them."""
        after: After | None = None
        left = cap
        while left > 0:
            size = min(BATCH, left)
            page = self._page(query, size, after)
            yield from page
            if len(page) < size:
                return
            left -= len(page)
            last = page[-1]
            after = (last.at, 0 if last.mass_id is None else 1, last.id)

    def _page(self, query: HistoryQuery, limit: int, after: After | None) -> list[HistoryEntry]:
        """Each half's newest (the sends' by an index scan that stops at `limit`), then the
        newest of both."""
        sends, recipients, params = _halves(query, after)
        rows = self._db.rows(
            f"SELECT * FROM ({sends} ORDER BY m.created_at DESC, m.id DESC LIMIT :limit) "
            f"UNION ALL SELECT * FROM ({recipients} ORDER BY at DESC, r.id DESC LIMIT :limit) "
            f"{_ORDER} LIMIT :limit",
            {**params, "limit": limit},
        )
        return [HistoryEntry.from_row(row) for row in rows]


def _halves(query: HistoryQuery, after: After | None) -> tuple[str, str, dict[str, Any]]:
    """The single sends' and the recipients' SELECTs with the query's filters, and their
    parameters."""
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
    if after is not None:
        sends += " AND m.created_at <= :after_at AND (m.created_at, 0, m.id) < (:after_at, :after_kind, :after_id)"
        recipients += " AND (COALESCE(r.sent_at, q.started_at), 1, r.id) < (:after_at, :after_kind, :after_id)"
        params |= {"after_at": after[0], "after_kind": after[1], "after_id": after[2]}
    # One sender's sends are found by (team_id, slack_user, created_at); everyone's by
    # created_at alone (`+` keeps SQLite from taking the team's index, which holds them all).
    team = "m.team_id" if query.sender is not None else "+m.team_id"
    return _SENDS.format(team=team, where=sends), _RECIPIENTS.format(where=recipients), params
