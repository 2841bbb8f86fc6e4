"""A database that cannot be written: nothing is sent, people are told so, /healthz says so.

Two ways SQLite fails a write on a full disk (https://www.sqlite.org/lang_transaction.html,
"Response To Errors Within A Transaction"): it undoes only the failing statement and leaves the
transaction open (`full_at_intake`), or it rolls the whole transaction back (`full_disk`: a
real SQLITE_FULL, from max_page_count). storage.base.Db.write must classify both.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pytest

from bot.i18n import Texts
from bot.slack.explain import oops, storage_down
from tests.listeners.harness import form_values, health, wait_for

LONG = "x" * 4000  # a send that needs a new database page (WhatsApp takes 4096 characters)


class FullAtIntake:
    """The app's connection, whose intake insert fails with a full disk's error while the
    transaction stays open; it counts the transactions that commit."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.refused = 0
        self.commits = 0

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        if sql.lstrip().startswith("INSERT INTO messages"):
            self.refused += 1
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = sqlite3.SQLITE_FULL  # as SQLite sets it
            raise error
        result = self._real.execute(sql, *args, **kwargs)
        if sql == "COMMIT":
            self.commits += 1
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@pytest.fixture
def full_at_intake(runtime, monkeypatch) -> FullAtIntake:
    storage = runtime.store._db  # noqa: SLF001 (the one connection every write goes through)
    full = FullAtIntake(storage.db)
    monkeypatch.setattr(storage, "db", full)
    return full


@pytest.fixture
def full_disk(runtime, db) -> None:
    """No free page left and no room to grow: SQLite itself answers SQLITE_FULL."""
    wait_for(lambda: db.rows("SELECT * FROM tokens"))  # the start-up login is written first
    storage = runtime.store._db  # noqa: SLF001
    with storage.lock:
        storage.db.execute("VACUUM")
        pages = storage.db.execute("PRAGMA page_count").fetchone()[0]
        storage.db.execute(f"PRAGMA max_page_count = {pages}")


def test_a_send_the_database_refuses_says_nothing_was_sent(slack, full_at_intake, db, sim, caplog):
    ack = slack.command("send 091000001 is anyone recording this?")
    assert ack.status == 200
    assert ack.json["text"] == storage_down()
    assert "nothing was sent" in ack.text
    assert full_at_intake.refused == 1
    assert db.messages() == [] and sim.sends() == []
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "The database cannot be written: database or disk is full"
    ]


def test_a_form_the_database_refuses_says_nothing_was_sent(slack, full_at_intake, db, sim):
    ack = slack.command("send")
    form = slack.as_slack_holds_it(wait_for(lambda: slack.opened_views(ack.trigger))[0])
    answer = slack.submit(form, form_values("091000001", "from a full disk"))
    assert answer.json == {
        "response_action": "errors",
        "errors": {"text": Texts.of("en")("answer.form_storage_down")},
    }
    assert full_at_intake.refused == 1
    assert db.messages() == [] and sim.sends() == []


def test_a_send_on_a_full_disk_says_nothing_was_sent(slack, full_disk, db, sim, caplog):
    ack = slack.command("send 091000001 " + LONG)
    told = [r["text"] for r in slack.responses(ack.ref)]
    raised = [str(r.exc_info[1]) for r in caplog.records if r.exc_info]
    assert (ack.status, ack.text, told) == (200, f":warning: {storage_down()}", []), (
        f"the full disk was not recognised: HTTP {ack.status}, "
        f"told {'OOPS' if told == [oops()] else told or ack.text!r}, the app raised {raised}"
    )
    assert db.messages() == [] and sim.sends() == []


def test_healthz_is_503_while_sends_cannot_be_recorded(slack, runtime, db, full_at_intake):
    """On a full disk a write that changes nothing (an idle worker's claim) still commits;
    /healthz must go on saying the database fails while sends cannot be recorded."""
    wait_for(lambda: db.rows("SELECT * FROM tokens"))  # the start-up login is written first
    assert health(runtime)[0] == "200 OK"
    ack = slack.command("send 091000001 is anyone recording this?")
    assert ack.json["text"] == storage_down()
    seen = full_at_intake.commits
    wait_for(lambda: full_at_intake.commits > seen)  # the app's next write has committed

    status, report = health(runtime)
    assert (status, report["database"], report["jobs"]) == (
        "503 Service Unavailable",
        "database or disk is full",
        True,
    ), f"/healthz forgot the failing database after a write that changed nothing: {report}"
    again = slack.command("send 091000001 still nobody?")
    assert again.json["text"] == storage_down()
