"""The team's view: new contacts and who took them, and Hey Now's health as last seen.

Hey Now's health is one row of `team_state`; a change of it is one compare-and-set that owes its
alert in the same transaction, so an outage seen by sixteen workers at once is one alert, and a
restart in the middle of it is not a second one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.domain import Health
from bot.domain.owed import Owed
from storage.base import Db
from storage.outbox import owe

HEALTH_KEY = "heynow"


@dataclass(frozen=True)
class HealthSeen:
    """Hey Now as the app last found it, since when, and why (an error's words)."""

    health: Health
    since: float | None
    detail: str = ""


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
        self, to: Health, now: float, detail: str, alert: Owed | None
    ) -> HealthSeen | None:
        """Move Hey Now's health to `to` unless it is there already; returns what it was,
        or None when nothing changed (then nothing is owed)."""
        with self._db.write() as db:
            row = db.execute("SELECT value FROM team_state WHERE key = ?", [HEALTH_KEY]).fetchone()
            was = _health(row[0]) if row else HealthSeen(Health.UP, None)
            if was.health is to:
                return None
            value = json.dumps({"health": to.value, "since": now, "detail": detail})
            db.execute(
                "INSERT INTO team_state (key, value, changed_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "changed_at = excluded.changed_at",
                [HEALTH_KEY, value, now],
            )
            if alert is not None:
                owe(db, alert)
        return was

    # -- new contacts ------------------------------------------------------------------------

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


def _health(stored: str) -> HealthSeen:
    value = json.loads(stored)
    return HealthSeen(Health(value["health"]), value.get("since"), value.get("detail", ""))
