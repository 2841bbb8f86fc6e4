"""The daily digest's figures, read from the sends, mass sends and new contacts of a local day,
and where each day's digest post went (so that a retry never posts it twice).

A local day is given as its UTC bounds [lo, hi) (bot.domain.digest.day_bounds, DST-safe); every
figure is one grouped query, and the seven days of the chart are one query over a small VALUES
table of bounds, so SQLite never has to know about time zones.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.domain import MassEvent, MassState
from bot.domain.digest import (
    DayDigest,
    DayTotals,
    MassOfDay,
    NewContacts,
    day_bounds,
    fold,
    week_of,
)
from bot.heynow.channels import Channel, PlatformRef
from storage.base import Db

IN_DAY = "{column} >= :lo AND {column} < :hi"
SENT_IN_DAY = "send_state = 'sent' AND " + IN_DAY.format(column="sent_at")
ASKED_IN_DAY = IN_DAY.format(column="created_at")
REACHED = "(ru_at IS NOT NULL OR lu_at IS NOT NULL)"  # two ticks, or read (which implies them)

# Sent and its delivery by sent_at; refusals and lost answers by when they were asked (they
# have no sent_at). One row per agent and platform: bot.domain.digest.fold sums them up.
_SINGLE = f"""
SELECT slack_user, channel_id, platform_id,
  SUM({SENT_IN_DAY}) AS sent,
  SUM({SENT_IN_DAY} AND {REACHED}) AS delivered,
  SUM({SENT_IN_DAY} AND lu_at IS NOT NULL) AS read,
  SUM(send_state = 'rejected' AND {ASKED_IN_DAY}) AS failures,
  SUM(send_state = 'unknown' AND {ASKED_IN_DAY}) AS unknowns
FROM messages
WHERE ({IN_DAY.format(column="sent_at")}) OR ({ASKED_IN_DAY})
GROUP BY slack_user, channel_id, platform_id
"""

# The moves of a run; a request that made one that day ran that day. A run still going that
# started earlier has made none today, so the running ones are added.
RUN_EVENTS = tuple(
    str(event)
    for event in (
        MassEvent.STARTED,
        MassEvent.RESUMED,
        MassEvent.RETRIED,
        MassEvent.PAUSED,
        MassEvent.FINISHED,
        MassEvent.CANCELLED,
        MassEvent.STOPPED,
    )
)
_MASS = f"""
SELECT q.id, q.requester, q.channel_id, q.platform_id, q.state, q.total,
  COALESCE(SUM(r.state = 'sent'), 0) AS sent,
  COALESCE(SUM(r.state = 'failed'), 0) AS failed,
  COALESCE(SUM(r.state = 'unknown'), 0) AS unknown,
  COALESCE(SUM(r.state = 'sent' AND r.status IN ('RU', 'LU')), 0) AS delivered,
  COALESCE(SUM(r.state = 'sent' AND r.status = 'LU'), 0) AS read
FROM mass_requests AS q LEFT JOIN mass_recipients AS r ON r.request_id = q.id
WHERE q.id IN (
  SELECT request_id FROM mass_events
  WHERE at >= :lo AND at < :hi AND kind IN ({", ".join(f"'{kind}'" for kind in RUN_EVENTS)})
) OR (q.state = 'running' AND q.started_at < :hi)
GROUP BY q.id ORDER BY q.id
"""

_NEW_CONTACTS = f"""
SELECT platform, COUNT(*) AS n, COALESCE(SUM(taken_by IS NOT NULL), 0) AS taken
FROM new_contacts WHERE {IN_DAY.format(column="seen_at")}
GROUP BY platform ORDER BY n DESC, platform
"""

_WEEK = """
WITH days(day, lo, hi) AS (VALUES {bounds})
SELECT days.day AS day, COUNT(m.id) AS sent,
  COALESCE(SUM(m.ru_at IS NOT NULL OR m.lu_at IS NOT NULL), 0) AS delivered,
  COALESCE(SUM(m.lu_at IS NOT NULL), 0) AS read
FROM days LEFT JOIN messages AS m
  ON m.send_state = 'sent' AND m.sent_at >= days.lo AND m.sent_at < days.hi
GROUP BY days.day ORDER BY days.day
"""


def post_key(day: date) -> str:
    return f"digest:{day.isoformat()}"


class Digests:
    def __init__(self, db: Db) -> None:
        self._db = db

    def day(self, day: date, zone: str) -> DayDigest:
        """The figures of the local day `day` in `zone` (so far, if it is today)."""
        lo, hi = day_bounds(day, zone)
        bounds = {"lo": lo, "hi": hi}
        totals, agents, platforms = fold(self._db.rows(_SINGLE, bounds))
        contacts = self._db.rows(_NEW_CONTACTS, bounds)
        return DayDigest(
            day=day,
            totals=totals,
            agents=tuple(agents),
            platforms=tuple(platforms),
            mass=tuple(_mass(row) for row in self._db.rows(_MASS, bounds)),
            new_contacts=NewContacts(
                by_platform=tuple((str(r["platform"]), int(r["n"])) for r in contacts),
                taken=sum(int(r["taken"]) for r in contacts),
            ),
        )

    def week(self, day: date, zone: str) -> list[DayTotals]:
        """Sent, delivered and read of each of the seven local days ending with `day`."""
        days = week_of(day)
        params: list[object] = []
        for each in days:
            params.extend([each.isoformat(), *day_bounds(each, zone)])
        sql = _WEEK.format(bounds=", ".join("(?, ?, ?)" for _ in days))
        found = {row["day"]: row for row in self._db.rows(sql, params)}
        return [
            DayTotals(
                each,
                int(found[each.isoformat()]["sent"]),
                int(found[each.isoformat()]["delivered"]),
                int(found[each.isoformat()]["read"]),
            )
            for each in days
        ]

    # -- the post of a day's digest ---------------------------------------------------------

    def post_of(self, day: date) -> tuple[str, str] | None:
        """(channel, ts) of `day`'s digest post, once Slack has taken it."""
        rows = self._db.rows("SELECT value FROM team_state WHERE key = ?", [post_key(day)])
        if not rows:
            return None
        value = json.loads(rows[0]["value"])
        return str(value["channel"]), str(value["ts"])

    def remember_post(self, day: date, channel: str, ts: str, now: float) -> None:
        """Slack took `day`'s digest post: a retry (its chart's upload failed, or the app was
        killed before it) uploads the chart under it instead of posting the digest again. In
        team_state, the team's view's key-value table: one row a day."""
        with self._db.write() as db:
            db.execute(
                "INSERT INTO team_state (key, value, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO NOTHING",
                [post_key(day), json.dumps({"channel": channel, "ts": ts}), now],
            )


def _mass(row: dict[str, Any]) -> MassOfDay:
    return MassOfDay(
        id=int(row["id"]),
        requester=str(row["requester"]),
        ref=PlatformRef(Channel(int(row["channel_id"])), str(row["platform_id"])),
        state=MassState(row["state"]),
        total=int(row["total"] or 0),
        **{
            name: int(row[name] or 0) for name in ("sent", "failed", "unknown", "delivered", "read")
        },
    )
