"""Who looks at their Home tab, what it last showed, and the cheap reads that tell whether it
would show something else now.

A Home is redrawn only for someone who opened it lately (`home_views`), and only when what it
would show changed: `shown` is a digest of the last view published, and `marks` are the few
numbers that move when something a Home shows moves (a message's status, a mass send's state
or progress, a new contact, Hey Now's health).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.domain import PostKind
from bot.domain.owed import Owed
from bot.domain.records import Message
from storage.base import Db
from storage.outbox import owe
from storage.team import HEALTH_KEY


@dataclass(frozen=True)
class Viewer:
    """Someone who opened their Home tab: when, in which language, and what it shows now."""

    user: str
    opened_at: float
    locale: str | None
    zone: str | None
    shown: str | None  # the digest of the view last published to them
    published_at: float | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Viewer:
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__}
        return cls(**values)


@dataclass(frozen=True)
class TeamMarks:
    """What moves when something every Home shows moves. Each part only grows (an event id,
    a change's time) or moves with a change it records, so an earlier set never comes back."""

    mass_event: int  # the newest mass-send event: a request, a decision, a pause, an end
    progress: tuple[tuple[int, int, int], ...]  # (request, done, total) of the runs under way
    unclaimed: int
    newest_contact: int
    health_changed: float


class HomeViews:
    def __init__(self, db: Db) -> None:
        self._db = db

    # -- who looks -----------------------------------------------------------------------------

    def opened(
        self, user: str, now: float, locale: str, zone: str, owed: Owed, *, forget_shown: bool
    ) -> None:
        """Note that `user` opened their Home and owe its redraw, in one transaction.
        `forget_shown`: Slack holds no view of ours for them, so the next one must go out."""
        shown = ", shown = NULL" if forget_shown else ""
        with self._db.write() as db:
            db.execute(
                "INSERT INTO home_views (user, opened_at, locale, zone) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(user) DO UPDATE SET opened_at = excluded.opened_at, "
                f"locale = excluded.locale, zone = excluded.zone{shown}",
                [user, now, locale, zone],
            )
            owe(db, owed)

    def viewer(self, user: str) -> Viewer | None:
        rows = self._db.rows("SELECT * FROM home_views WHERE user = ?", [user])
        return Viewer.from_row(rows[0]) if rows else None

    def viewers(self, since: float, limit: int) -> list[Viewer]:
        """Who opened their Home since `since`, the most recent first. A team has tens of
        people, so the table stays small; `limit` bounds it anyway."""
        rows = self._db.rows(
            "SELECT * FROM home_views WHERE opened_at >= ? ORDER BY opened_at DESC LIMIT ?",
            [since, limit],
        )
        return [Viewer.from_row(row) for row in rows]

    def published(self, user: str, digest: str, now: float) -> None:
        with self._db.write() as db:
            db.execute(
                "UPDATE home_views SET shown = ?, published_at = ? WHERE user = ?",
                [digest, now, user],
            )

    # -- what is owed --------------------------------------------------------------------------

    def waiting(self) -> set[str]:
        """Whose Home redraw is owed and not yet out: it will draw the latest when it goes."""
        rows = self._db.rows(
            "SELECT DISTINCT user FROM outbox WHERE state = 'due' AND kind = ?",
            [PostKind.HOME.value],
        )
        return {str(row["user"]) for row in rows}

    def owe_new(self, owed: Iterable[Owed], limit: int) -> int:
        """Owe the first `limit` of `owed` that were never owed before (their dedupe key says
        what they show); returns how many. The rest wait for the next round."""
        added = 0
        with self._db.write() as db:
            for call in owed:
                if added >= limit:
                    break
                seen = db.execute(
                    "SELECT 1 FROM outbox WHERE dedupe_key = ?", [call.dedupe_key]
                ).fetchone()
                if seen is None:
                    owe(db, call)
                    added += 1
        return added

    # -- what a Home shows ---------------------------------------------------------------------

    def last_messages(self, user: str, limit: int) -> list[Message]:
        """The sends `user` asked for, newest first (by index: messages(slack_user, created_at))."""
        rows = self._db.rows(
            "SELECT * FROM messages WHERE slack_user = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            [user, limit],
        )
        return [Message.from_row(row) for row in rows]

    def team_marks(self) -> TeamMarks:
        """One read for what every Home shows alike (the viewer's own messages aside)."""
        row = self._db.rows(
            "SELECT (SELECT MAX(id) FROM mass_events) AS mass_event, "
            "(SELECT COUNT(*) FROM new_contacts WHERE taken_by IS NULL) AS unclaimed, "
            "(SELECT MAX(id) FROM new_contacts) AS newest_contact, "
            "(SELECT changed_at FROM team_state WHERE key = ?) AS health_changed",
            [HEALTH_KEY],
        )[0]
        progress = self._db.rows(
            "SELECT q.id AS request, q.total AS total, (SELECT COUNT(*) FROM mass_recipients r "
            "WHERE r.request_id = q.id AND r.state IN ('sent', 'failed', 'unknown')) AS done "
            "FROM mass_requests q WHERE q.state IN ('approved', 'running', 'paused') ORDER BY q.id"
        )
        return TeamMarks(
            mass_event=int(row["mass_event"] or 0),
            progress=tuple(
                (int(p["request"]), int(p["done"]), int(p["total"] or 0)) for p in progress
            ),
            unclaimed=int(row["unclaimed"] or 0),
            newest_contact=int(row["newest_contact"] or 0),
            health_changed=float(row["health_changed"] or 0.0),
        )
