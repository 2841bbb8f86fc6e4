"""The team's view: the agenda snapshot, new contacts and who took them, the problems the team
was told of, and Hey Now's health as last seen.

An agenda is compared a batch at a time as it streams in: each batch's new contacts are written
to the snapshot, recorded, and their posts owed in one transaction, so a kill -9 mid-agenda
loses no contact and posts none twice. The first look at a platform only takes the snapshot.

Hey Now's health is one row of `team_state`; a change of it is one compare-and-set that owes its
alert in the same transaction, so an outage seen by sixteen workers at once is one alert, and a
restart in the middle of it is not a second one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain import Health
from bot.domain.owed import Owed
from storage.base import Db
from storage.outbox import owe

HEALTH_KEY = "heynow"
ALERTS_SINCE_KEY = "alerts_since"  # problems before this were never the team's to be told of
HORIZON_SECONDS = 3600  # an older problem is history, not news (notifications were off, say)


@dataclass(frozen=True)
class AgendaLook:
    """One platform's agenda, claimed for a comparison by one owner."""

    platform: str
    first: bool  # no snapshot yet: this look only takes it


@dataclass(frozen=True)
class Taken:
    """What a batch of the agenda brought: contacts new to the snapshot, and how many posted."""

    new: int
    posted: int


@dataclass(frozen=True)
class Take:
    """The outcome of "I'll take it": who holds the contact now, and whether it was this click."""

    contact: NewContact | None
    won: bool


@dataclass(frozen=True)
class Problem:
    """Something the team should hear of once: its ledger key, and what it is about."""

    key: str
    notice: str  # a bot.domain.TeamNotice
    at: float
    message_id: int | None = None
    request_id: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class HealthSeen:
    """Hey Now as the app last found it, since when, and why (an error's words)."""

    health: Health
    since: float | None
    detail: str = ""
    before: Health | None = None  # what it was until `since`
    before_since: float | None = None  # since when it was that

    def was_out(self, at: float, margin: float) -> bool:
        """Whether `at` falls in an outage: the one going on, or the one just ended (with a
        margin before it: the first failures come before an outage is recognised)."""
        if self.health is not Health.UP:
            return True
        if self.before is Health.UP or self.before is None or self.since is None:
            return False
        return (self.before_since or self.since) - margin <= at <= self.since


@dataclass(frozen=True)
class NewContact:
    id: int
    platform: str  # a PlatformRef, `1:59899000001`
    client_id: str
    name: str | None
    seen_at: float
    taken_by: str | None
    taken_at: float | None
    post_channel: str | None
    post_ts: str | None
    locale: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> NewContact:
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__}
        return cls(**values)


class Team:
    def __init__(self, db: Db) -> None:
        self._db = db

    # -- Hey Now's health --------------------------------------------------------------------

    def health(self) -> HealthSeen:
        rows = self._db.rows("SELECT value FROM team_state WHERE key = ?", [HEALTH_KEY])
        return _health(rows[0]["value"]) if rows else HealthSeen(Health.UP, None)

    def change_health(
        self, to: Health, now: float, detail: str, alert: Callable[[HealthSeen], Owed | None]
    ) -> HealthSeen | None:
        """Move Hey Now's health to `to` unless it is there already, owing `alert(what it
        was)` in the same transaction; returns what it was, or None when nothing changed."""
        with self._db.write() as db:
            row = db.execute("SELECT value FROM team_state WHERE key = ?", [HEALTH_KEY]).fetchone()
            was = _health(row[0]) if row else HealthSeen(Health.UP, None)
            if was.health is to:
                return None
            value = json.dumps(
                {
                    "health": to.value,
                    "since": now,
                    "detail": detail,
                    "before": was.health.value,
                    "before_since": was.since,
                }
            )
            db.execute(
                "INSERT INTO team_state (key, value, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "changed_at = excluded.changed_at",
                [HEALTH_KEY, value, now],
            )
            owed = alert(was)
            if owed is not None:
                owe(db, owed)
        return was

    # -- the agenda snapshot -----------------------------------------------------------------

    def claim_agenda(
        self,
        platforms: Sequence[str],
        now: float,
        every: float,
        owner: str,
        lease: float,
        gone: Callable[[str], bool] = lambda _owner: False,
    ) -> AgendaLook | None:
        """The first of `platforms` whose agenda is due for a look and not held by a live
        owner (a lease still running, held by a process `gone` says is dead, is free)."""
        with self._db.write() as db:
            db.conn.executemany(
                "INSERT INTO agenda_watch (platform) VALUES (?) ON CONFLICT DO NOTHING",
                [[p] for p in platforms],
            )
            marks = ",".join("?" * len(platforms))
            due = db.execute(
                f"SELECT platform, taken_at, lease_owner, lease_expires FROM agenda_watch "
                f"WHERE platform IN ({marks}) AND (taken_at IS NULL OR taken_at + ? <= ?) "
                "ORDER BY COALESCE(taken_at, 0)",
                [*platforms, every, now],
            ).fetchall()
            free = next(
                (
                    row
                    for row in due
                    if row[3] is None or row[3] <= now or (row[2] is not None and gone(row[2]))
                ),
                None,
            )
            if free is None:
                return None
            db.execute(
                "UPDATE agenda_watch SET lease_owner = ?, lease_expires = ? WHERE platform = ?",
                [owner, now + lease, free[0]],
            )
        return AgendaLook(free[0], first=free[1] is None)

    def take_in(
        self,
        look: AgendaLook,
        batch: Sequence[tuple[str, str | None]],
        now: float,
        post: Callable[[int], Owed] | None,
        posts_left: int,
    ) -> Taken:
        """Add a batch of (client id, name) to the snapshot; those it did not hold are new.
        A first look records nothing as new; later ones record each new contact, and owe a
        post (`post(contact id)`) for the first `posts_left` of them."""
        ids = list(dict.fromkeys(client for client, _ in batch if client))
        if not ids:
            return Taken(0, 0)
        names = dict(batch)
        with self._db.write() as db:
            marks = ",".join("?" * len(ids))
            known = {
                r[0]
                for r in db.execute(
                    f"SELECT client_id FROM agenda_seen WHERE platform = ? AND client_id IN ({marks})",
                    [look.platform, *ids],
                )
            }
            new = [client for client in ids if client not in known]
            db.conn.executemany(
                "INSERT INTO agenda_seen (platform, client_id) VALUES (?, ?)",
                [[look.platform, client] for client in new],
            )
            if look.first:
                return Taken(0, 0)
            posted = 0
            for client in new:
                cursor = db.execute(
                    "INSERT INTO new_contacts (platform, client_id, name, seen_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [look.platform, client, names.get(client), now],
                )
                if post is not None and posted < posts_left and cursor.rowcount:
                    owe(db, post(int(cursor.lastrowid or 0)))
                    posted += 1
        return Taken(len(new), posted)

    def agenda_taken(self, look: AgendaLook, owner: str, now: float, contacts: int) -> None:
        with self._db.write() as db:
            db.execute(
                "UPDATE agenda_watch SET taken_at = ?, contacts = ?, lease_owner = NULL, "
                "lease_expires = NULL WHERE platform = ? AND lease_owner = ?",
                [now, contacts, look.platform, owner],
            )

    def agenda_failed(self, look: AgendaLook, owner: str, retry_at: float) -> None:
        """Hey Now did not give the whole agenda: what came is kept; look again at `retry_at`."""
        with self._db.write() as db:
            db.execute(
                "UPDATE agenda_watch SET lease_owner = NULL, lease_expires = ? "
                "WHERE platform = ? AND lease_owner = ?",
                [retry_at, look.platform, owner],
            )

    def snapshot_size(self, platform: str) -> int:
        rows = self._db.rows("SELECT COUNT(*) AS n FROM agenda_seen WHERE platform = ?", [platform])
        return int(rows[0]["n"])

    # -- new contacts ------------------------------------------------------------------------

    def take(self, contact_id: int, user: str, now: float, redraw: Owed) -> Take:
        """Mark `user` as the one who answers the contact, unless someone already does."""
        with self._db.write() as db:
            changed = db.execute(
                "UPDATE new_contacts SET taken_by = ?, taken_at = ? "
                "WHERE id = ? AND taken_by IS NULL",
                [user, now, contact_id],
            ).rowcount
            if changed:
                owe(db, redraw)
            row = next(db.query("SELECT * FROM new_contacts WHERE id = ?", [contact_id]), None)
        return Take(NewContact.from_row(row) if row else None, won=bool(changed))

    def posted_contact(self, contact_id: int, channel: str, ts: str) -> None:
        with self._db.write() as db:
            db.execute(
                "UPDATE new_contacts SET post_channel = ?, post_ts = ? WHERE id = ?",
                [channel, ts, contact_id],
            )

    def unclaimed(self, limit: int = 20) -> list[NewContact]:
        """The newest contacts nobody has said "I'll take it" for."""
        rows = self._db.rows(
            "SELECT * FROM new_contacts WHERE taken_by IS NULL ORDER BY seen_at DESC LIMIT ?",
            [limit],
        )
        return [NewContact.from_row(row) for row in rows]

    def unclaimed_count(self) -> int:
        rows = self._db.rows("SELECT COUNT(*) AS n FROM new_contacts WHERE taken_by IS NULL")
        return int(rows[0]["n"])

    def contact(self, contact_id: int) -> NewContact | None:
        rows = self._db.rows("SELECT * FROM new_contacts WHERE id = ?", [contact_id])
        return NewContact.from_row(rows[0]) if rows else None

    # -- problems, once each -----------------------------------------------------------------

    def alerts_since(self, now: float) -> float:
        """When the team began to be told of problems (the first look with a notify channel):
        what went wrong before it is history, not news."""
        with self._db.write() as db:
            db.execute(
                "INSERT INTO team_state (key, value, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO NOTHING",
                [ALERTS_SINCE_KEY, json.dumps(now), now],
            )
            row = db.execute(
                "SELECT value FROM team_state WHERE key = ?", [ALERTS_SINCE_KEY]
            ).fetchone()
        return float(json.loads(row[0]))

    def problems(
        self, since: float, now: float, stuck_after: float, settle: float, limit: int
    ) -> list[Problem]:
        """Problems not yet in the ledger, of the last HORIZON_SECONDS at most: sends refused
        or whose answer was lost (`settle` seconds after their sender was told, at least),
        messages still at ? or one tick past `stuck_after`, mass sends that paused themselves."""
        params = {
            "since": max(since, now - HORIZON_SECONDS),
            "stuck_since": max(since, now - stuck_after - HORIZON_SECONDS),
            "stuck": now - stuck_after,
            "settled": now - settle,
            "n": limit,
        }
        return [Problem(**row) for row in self._db.rows(_PROBLEMS, params)]

    def tell(
        self,
        problems: Sequence[Problem],
        now: float,
        post: Callable[[Problem], Owed] | None,
        rest: Callable[[int], Owed],
        cap: int,
    ) -> int:
        """Record `problems` in the ledger and owe a post for each (`post` None: folded into
        an outage), and `rest(n)` past the first `cap`. Only the problems this call records
        are owed: two processes looking at once post each once. Returns the posts owed."""
        with self._db.write() as db:
            fresh = [
                p
                for p in problems
                if db.execute(
                    "INSERT INTO team_alerts (key, at, posted) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    [p.key, now, 0 if post is None else 1],
                ).rowcount
            ]
            if post is None:
                return 0
            for problem in fresh[:cap]:
                owe(db, post(problem))
            if len(fresh) > cap:
                owe(db, rest(len(fresh) - cap))
        return min(len(fresh), cap + 1)

    def failed_between(self, start: float, end: float) -> int:
        """Sends refused or whose answer was lost between `start` and `end` (an outage's)."""
        rows = self._db.rows(
            "SELECT COUNT(*) AS n FROM messages WHERE created_at BETWEEN ? AND ? "
            "AND send_state IN ('rejected', 'unknown')",
            [start, end],
        )
        return int(rows[0]["n"])


# Each arm finds one kind of problem not yet in the ledger; the indexes on messages(created_at)
# and messages(sent_at) keep each to the window since the team began to be told.
_PROBLEMS = """
SELECT 'm' || m.id || ':' || m.send_state AS key, m.send_state AS notice, m.created_at AS at,
       m.id AS message_id, NULL AS request_id, COALESCE(m.error, '') AS detail
FROM messages AS m
WHERE m.created_at >= :since AND m.send_state IN ('rejected', 'unknown')
  AND COALESCE((SELECT MIN(o.created_at) FROM outbox AS o
                WHERE o.message_id = m.id AND o.kind IN ('ephemeral', 'dm')), m.created_at)
      <= :settled
  AND NOT EXISTS (SELECT 1 FROM team_alerts WHERE key = 'm' || m.id || ':' || m.send_state)
UNION ALL
SELECT 'm' || m.id || ':stuck', 'stuck', m.sent_at, m.id, NULL, m.status
FROM messages AS m
WHERE m.sent_at >= :stuck_since AND m.sent_at <= :stuck AND m.send_state = 'sent'
  AND m.status IN ('?', 'RS') AND (m.outcome IS NULL OR m.outcome = 'stuck')
  AND NOT EXISTS (SELECT 1 FROM team_alerts WHERE key = 'm' || m.id || ':stuck')
UNION ALL
SELECT 'q' || e.request_id || ':paused:' || e.id, 'mass_paused', e.at, NULL, e.request_id,
       COALESCE(e.detail, '')
FROM mass_events AS e
WHERE e.at >= :since AND e.kind = 'paused' AND e.actor = 'app'
  AND NOT EXISTS (SELECT 1 FROM team_alerts WHERE key = 'q' || e.request_id || ':paused:' || e.id)
ORDER BY at LIMIT :n
"""


def _health(stored: str) -> HealthSeen:
    value = json.loads(stored)
    before = value.get("before")
    return HealthSeen(
        Health(value["health"]),
        value.get("since"),
        value.get("detail", ""),
        Health(before) if before else None,
        value.get("before_since"),
    )
