"""Mass sends: requests with their frozen recipients, the audit trail, the opt-out list.

A request moves only through `transition`, a compare-and-set on its state inside the write
transaction that also writes the audit event: two approvers clicking at once, a double click or
a click on an old post decide it once. Recipients are claimed one at a time with a lease, like
single sends (storage.messages), and their outcome is written only by the claim that holds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from bot.domain import MassEvent, MassState, RecipientState, Status
from bot.domain.mass import MassRecipient, MassRequest, Progress
from bot.domain.owed import Owed
from bot.domain.states import MASS_TRANSITIONS
from storage.base import Db
from storage.outbox import one, owe

REQUEST_COLUMNS = (
    "request_key",
    "team_id",
    "requester",
    "origin_channel",
    "channel_id",
    "platform_id",
    "template",
    "not_before",
    "created_at",
    "expires_at",
    "locale",
    "zone",
)
INSERT_BATCH = 1000


def sources_of(target: MassState) -> list[str]:
    """The states from which `target` may be reached (bot.domain.MASS_TRANSITIONS)."""
    return [str(s) for s, targets in MASS_TRANSITIONS.items() if target in targets]


class MassSends:
    def __init__(self, db: Db) -> None:
        self._db = db

    # -- requests ---------------------------------------------------------------------------

    def create(
        self,
        values: dict[str, Any],
        recipients: Iterable[tuple[str, str]],
        left_out: dict[str, int],
        owed: Callable[[int], Iterable[Owed]] = lambda _id: (),
    ) -> int | None:
        """Store a checked request with every (client id, text), in one transaction with what
        it owes Slack (`owed(request_id)`); None when its request_key was stored before (the
        same form submitted twice)."""
        row = {name: values.get(name) for name in REQUEST_COLUMNS}
        with self._db.write() as db:
            if one(db, "SELECT id FROM mass_requests WHERE request_key = ?", [row["request_key"]]):
                return None
            cursor = db.execute(
                f"INSERT INTO mass_requests ({', '.join(row)}, state, left_out) "
                f"VALUES ({', '.join('?' for _ in row)}, 'pending', ?)",
                [*row.values(), json.dumps(left_out)],
            )
            request_id = int(cursor.lastrowid or 0)
            total = _insert_recipients(db, request_id, recipients)
            db.execute("UPDATE mass_requests SET total = ? WHERE id = ?", [total, request_id])
            at = float(values["created_at"])
            _event(db, request_id, MassEvent.REQUESTED, row["requester"], at, {})
            for call in owed(request_id):
                owe(db, call)
        return request_id

    def get(self, request_id: int) -> MassRequest | None:
        rows = self._db.rows("SELECT * FROM mass_requests WHERE id = ?", [request_id])
        return MassRequest.from_row(rows[0]) if rows else None

    def transition(
        self,
        request_id: int,
        target: MassState,
        event: MassEvent,
        *,
        actor: str,
        now: float,
        detail: dict[str, Any] | None = None,
        owed: Callable[[MassRequest], Iterable[Owed]] = lambda _request: (),
        sources: Iterable[MassState] | None = None,
        pause_reasons: Iterable[str] | None = None,
        **changes: Any,
    ) -> MassRequest | None:
        """Move the request to `target` if its state allows it, with the audit event and what
        the change owes Slack (`owed(request)`), all in one transaction; None when its state
        does not allow it (someone decided first, the click is old, it expired).

        `sources` narrows the states it may come from (a resume comes from paused only);
        `pause_reasons`, the pauses it may end (an approver's pause is not the requester's to
        end). A pending request past its expiry time is decided by nobody."""
        allowed = sources_of(target)
        if sources is not None:
            allowed = [str(s) for s in sources if str(s) in allowed]
        reasons = list(pause_reasons or [])
        sets = ", ".join(f"{name} = ?" for name in changes)
        with self._db.write() as db:
            row = one(
                db,
                f"UPDATE mass_requests SET state = ?{', ' + sets if sets else ''} "
                f"WHERE id = ? AND state IN ({', '.join('?' for _ in allowed) or 'NULL'}) "
                "AND NOT (state = 'pending' AND ? != 'expired' AND COALESCE(expires_at, 1e300) <= ?) "
                + (f"AND pause_reason IN ({', '.join('?' for _ in reasons)}) " if reasons else "")
                + "RETURNING *",
                [str(target), *changes.values(), request_id, *allowed, str(target), now, *reasons],
            )
            if row is None:
                return None
            _event(db, request_id, event, actor, now, detail or {})
            moved = MassRequest.from_row(row)
            for call in owed(moved):
                owe(db, call)
        return moved

    def note(
        self, request_id: int, event: MassEvent, *, actor: str, now: float, **detail: Any
    ) -> None:
        """An audit event that moves no state (a test sent, quiet hours)."""
        with self._db.write() as db:
            _event(db, request_id, event, actor, now, detail)

    def update(self, request_id: int, **changes: Any) -> None:
        """Bookkeeping that no decision depends on: the approval post, quiet hours shown."""
        sets = ", ".join(f"{name} = ?" for name in changes)
        with self._db.write() as db:
            db.execute(
                f"UPDATE mass_requests SET {sets} WHERE id = ?", [*changes.values(), request_id]
            )

    def events(self, request_id: int) -> list[dict[str, Any]]:
        rows = self._db.rows(
            "SELECT at, actor, kind, detail FROM mass_events WHERE request_id = ? ORDER BY id",
            [request_id],
        )
        return [{**r, "detail": json.loads(r["detail"] or "{}")} for r in rows]

    def listing(self, *, requester: str | None = None, limit: int = 20) -> list[MassRequest]:
        """The newest requests (of `requester`, if given)."""
        where, params = ("WHERE requester = ?", [requester]) if requester else ("", [])
        rows = self._db.rows(
            f"SELECT * FROM mass_requests {where} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        return [MassRequest.from_row(r) for r in rows]

    def in_state(self, *states: MassState) -> list[MassRequest]:
        marks = ", ".join("?" for _ in states)
        rows = self._db.rows(
            f"SELECT * FROM mass_requests WHERE state IN ({marks}) ORDER BY id",
            [str(s) for s in states],
        )
        return [MassRequest.from_row(r) for r in rows]

    def expire(
        self, now: float, owed: Callable[[MassRequest], Iterable[Owed]] = lambda _request: ()
    ) -> list[MassRequest]:
        """Pending requests past their expiry become expired (each with its event)."""
        due = self._db.rows(
            "SELECT id FROM mass_requests WHERE state = 'pending' AND expires_at <= ?", [now]
        )
        expired = []
        for row in due:
            done = self.transition(
                row["id"], MassState.EXPIRED, MassEvent.EXPIRED, actor="app", now=now, owed=owed
            )
            if done is not None:
                expired.append(done)
        return expired

    # -- progress -----------------------------------------------------------------------------

    def progress(self, request: MassRequest) -> Progress:
        counts = dict.fromkeys(RecipientState, 0)
        delivered = read = 0
        for row in self._db.rows(
            "SELECT state, status, COUNT(*) AS n FROM mass_recipients WHERE request_id = ? "
            "GROUP BY state, status",
            [request.id],
        ):
            counts[RecipientState(row["state"])] += row["n"]
            status = Status.of(row["status"])
            delivered += row["n"] if status.rank >= Status.DELIVERED.rank else 0
            read += row["n"] if status is Status.READ else 0
        failures = self._db.rows(
            "SELECT error, COUNT(*) AS n FROM mass_recipients WHERE request_id = ? AND "
            "state = 'failed' GROUP BY error ORDER BY n DESC, error",
            [request.id],
        )
        return Progress(
            total=request.total,
            sent=counts[RecipientState.SENT],
            failed=counts[RecipientState.FAILED],
            unknown=counts[RecipientState.UNKNOWN],
            pending=counts[RecipientState.PENDING],
            sending=counts[RecipientState.SENDING],
            delivered=delivered,
            read=read,
            failures=tuple((str(r["error"] or ""), int(r["n"])) for r in failures),
        )

    def samples(self, request_id: int, count: int = 3) -> list[MassRecipient]:
        rows = self._db.rows(
            "SELECT * FROM mass_recipients WHERE request_id = ? ORDER BY position LIMIT ?",
            [request_id, count],
        )
        return [MassRecipient.from_row(r) for r in rows]

    def report(self, request_id: int) -> list[MassRecipient]:
        rows = self._db.rows(
            "SELECT * FROM mass_recipients WHERE request_id = ? ORDER BY position", [request_id]
        )
        return [MassRecipient.from_row(r) for r in rows]

    # -- the run ------------------------------------------------------------------------------

    def claim(self, request_id: int, owner: str, now: float, lease: float) -> MassRecipient | None:
        """The next pending recipient of one running request, leased to `owner`."""
        return self._claim("r.request_id = ?", [request_id], owner, now, lease)

    def claim_any(self, owner: str, now: float, lease: float) -> MassRecipient | None:
        """The next pending recipient of the oldest running request that has one: a request
        whose last recipients are in flight does not hold up the next one. A request's first
        send goes alone: until Hey Now has answered one, no other is claimed, so a platform
        that refuses mass sends (403) is found by one send, not by one per runner."""
        return self._claim("1", [], owner, now, lease)

    def _claim(
        self, where: str, params: list[Any], owner: str, now: float, lease: float
    ) -> MassRecipient | None:
        with self._db.write() as db:
            row = one(
                db,
                "UPDATE mass_recipients SET state = 'sending', lease_owner = ?, lease_expires = ? "
                "WHERE id = (SELECT r.id FROM mass_recipients r JOIN mass_requests q "
                f"ON q.id = r.request_id WHERE {where} AND r.state = 'pending' "
                "AND q.state = 'running' AND q.quiet_until IS NULL AND (EXISTS (SELECT 1 FROM "
                "mass_recipients a WHERE a.request_id = r.request_id AND a.state IN ('sent', "
                "'failed', 'unknown')) OR NOT EXISTS (SELECT 1 FROM mass_recipients b WHERE "
                "b.request_id = r.request_id AND b.state = 'sending')) "
                "ORDER BY r.request_id, r.position LIMIT 1) RETURNING *",
                [owner, now + lease, *params],
            )
        return MassRecipient.from_row(row) if row else None

    def sent(
        self, recipient: MassRecipient, owner: str, hey_id: str, now: float, first_poll: float
    ) -> bool:
        with self._db.write() as db:
            done = _settle(
                db,
                recipient,
                owner,
                "state = 'sent', id_message_hey = ?, sent_at = ?, next_poll_at = ?, "
                "poll_interval = ?",
                [hey_id, now, now + first_poll, first_poll],
            )
            if done:
                db.execute(
                    "UPDATE mass_requests SET failures_in_a_row = 0 WHERE id = ?",
                    [recipient.request_id],
                )
        return done

    def failed(self, recipient: MassRecipient, owner: str, error: str) -> int | None:
        """Record a refusal; the request's failures in a row after it (None: not ours)."""
        with self._db.write() as db:
            if not _settle(db, recipient, owner, "state = 'failed', error = ?", [error]):
                return None
            return _one_more_failure(db, recipient.request_id)

    def unknown(self, recipient: MassRecipient, owner: str, error: str) -> int | None:
        """Record a lost answer; it counts among the failures in a row (a Hey Now that loses
        every answer must pause the run, not burn it). None: not ours."""
        with self._db.write() as db:
            if not _settle(db, recipient, owner, "state = 'unknown', error = ?", [error]):
                return None
            return _one_more_failure(db, recipient.request_id)

    def release(self, recipient: MassRecipient, owner: str) -> bool:
        """Give a claim back unsent (the run paused between the claim and the send)."""
        with self._db.write() as db:
            return _settle(db, recipient, owner, "state = 'pending'", [])

    def recover(self, now: float, owner_gone: Callable[[str], bool]) -> int:
        """Recipients whose runner died mid-send may have reached Hey Now: unknown, never
        re-sent by themselves. Returns how many."""
        with self._db.write() as db:
            cut_off = [
                r["id"]
                for r in db.query(
                    "SELECT id, lease_owner, lease_expires FROM mass_recipients "
                    "WHERE state = 'sending'"
                )
                if r["lease_owner"] is None
                or (r["lease_expires"] or 0) <= now
                or owner_gone(r["lease_owner"])
            ]
            for rid in cut_off:
                db.execute(
                    "UPDATE mass_recipients SET state = 'unknown', error = 'interrupted', "
                    "lease_owner = NULL, lease_expires = NULL WHERE id = ? AND state = 'sending'",
                    [rid],
                )
        return len(cut_off)

    def retry_failed(
        self,
        request_id: int,
        *,
        actor: str,
        now: float,
        owed: Callable[[MassRequest], Iterable[Owed]] = lambda _request: (),
    ) -> MassRequest | None:
        """Run again for the failed recipients alone (never the unknown ones)."""
        with self._db.write() as db:
            row = one(
                db,
                "UPDATE mass_requests SET state = 'running', round = round + 1, "
                "failures_in_a_row = 0, finished_at = NULL, pause_reason = NULL "
                "WHERE id = ? AND state = 'finished' AND EXISTS (SELECT 1 FROM mass_recipients "
                "WHERE request_id = ? AND state = 'failed') RETURNING *",
                [request_id, request_id],
            )
            if row is None:
                return None
            cursor = db.execute(
                "UPDATE mass_recipients SET state = 'pending', error = NULL, round = ? "
                "WHERE request_id = ? AND state = 'failed'",
                [row["round"], request_id],
            )
            _event(db, request_id, MassEvent.RETRIED, actor, now, {"recipients": cursor.rowcount})
            retried = MassRequest.from_row(row)
            for call in owed(retried):
                owe(db, call)
        return retried

    def finish_if_done(
        self,
        request_id: int,
        now: float,
        owed: Callable[[MassRequest], Iterable[Owed]] = lambda _request: (),
    ) -> MassRequest | None:
        """A running request with nobody left to send becomes finished (once)."""
        with self._db.write() as db:
            row = one(
                db,
                "UPDATE mass_requests SET state = 'finished', finished_at = ? WHERE id = ? AND "
                "state = 'running' AND NOT EXISTS (SELECT 1 FROM mass_recipients WHERE "
                "request_id = ? AND state IN ('pending', 'sending')) RETURNING *",
                [now, request_id, request_id],
            )
            if row is None:
                return None
            _event(db, request_id, MassEvent.FINISHED, "app", now, {})
            finished = MassRequest.from_row(row)
            for call in owed(finished):
                owe(db, call)
        return finished

    # -- delivery of what was sent ----------------------------------------------------------------

    def due_polls(self, now: float, limit: int) -> list[MassRecipient]:
        rows = self._db.rows(
            "SELECT * FROM mass_recipients WHERE next_poll_at IS NOT NULL AND next_poll_at <= ? "
            "ORDER BY next_poll_at LIMIT ?",
            [now, limit],
        )
        return [MassRecipient.from_row(r) for r in rows]

    def observed(
        self, recipient: MassRecipient, status: Status, next_poll_at: float | None, interval: float
    ) -> bool:
        """Record a polled status (it only moves forward); True when it moved."""
        moved = status.rank > recipient.status.rank
        with self._db.write() as db:
            db.execute(
                "UPDATE mass_recipients SET status = CASE WHEN ? THEN ? ELSE status END, "
                "next_poll_at = ?, poll_interval = ? WHERE id = ?",
                [moved, str(status), next_poll_at, interval, recipient.id],
            )
        return moved

    # -- the opt-out list ---------------------------------------------------------------------------

    def opt_out(self, channel_id: int, client_ids: Iterable[str], *, by: str, now: float) -> int:
        with self._db.write() as db:
            cursor = db.conn.executemany(
                "INSERT OR IGNORE INTO opt_outs (channel_id, client_id, added_by, added_at) "
                "VALUES (?, ?, ?, ?)",
                [(channel_id, c, by, now) for c in client_ids],
            )
        return cursor.rowcount

    def opt_in(self, channel_id: int, client_ids: Iterable[str]) -> int:
        with self._db.write() as db:
            cursor = db.conn.executemany(
                "DELETE FROM opt_outs WHERE channel_id = ? AND client_id = ?",
                [(channel_id, c) for c in client_ids],
            )
        return cursor.rowcount

    def opted_out(self, channel_id: int) -> set[str]:
        rows = self._db.rows("SELECT client_id FROM opt_outs WHERE channel_id = ?", [channel_id])
        return {r["client_id"] for r in rows}

    def opt_outs(self, limit: int = 200) -> list[dict[str, Any]]:
        return self._db.rows(
            "SELECT channel_id, client_id, added_by, added_at FROM opt_outs "
            "ORDER BY added_at DESC LIMIT ?",
            [limit],
        )


def _insert_recipients(db: Any, request_id: int, recipients: Iterable[tuple[str, str]]) -> int:
    total, batch = 0, []
    for position, (client_id, text) in enumerate(recipients, 1):
        batch.append((request_id, position, client_id, text))
        total = position
        if len(batch) >= INSERT_BATCH:
            _insert_batch(db, batch)
            batch = []
    _insert_batch(db, batch)
    return total


def _insert_batch(db: Any, batch: list[tuple[int, int, str, str]]) -> None:
    if batch:
        db.conn.executemany(
            "INSERT INTO mass_recipients (request_id, position, client_id, text) "
            "VALUES (?, ?, ?, ?)",
            batch,
        )


def _one_more_failure(db: Any, request_id: int) -> int:
    row = one(
        db,
        "UPDATE mass_requests SET failures_in_a_row = failures_in_a_row + 1 "
        "WHERE id = ? RETURNING failures_in_a_row",
        [request_id],
    )
    return int(row["failures_in_a_row"]) if row else 0


def _settle(db: Any, recipient: MassRecipient, owner: str, sets: str, params: list[Any]) -> bool:
    """Write a claimed recipient's outcome, only by the claim that holds it."""
    cursor = db.execute(
        f"UPDATE mass_recipients SET {sets}, lease_owner = NULL, lease_expires = NULL "
        "WHERE id = ? AND state = 'sending' AND lease_owner = ?",
        [*params, recipient.id, owner],
    )
    return bool(cursor.rowcount)


def _event(
    db: Any, request_id: int, kind: MassEvent, actor: str | None, at: float, detail: dict[str, Any]
) -> None:
    db.execute(
        "INSERT INTO mass_events (request_id, at, actor, kind, detail) VALUES (?, ?, ?, ?, ?)",
        [request_id, at, actor or "app", str(kind), json.dumps(detail, ensure_ascii=False)],
    )
