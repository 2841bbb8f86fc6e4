"""Finding 11: disk full (or a read-only database) while Hey Now answers a send.

The message went out, but the sender was told to try again, the row stayed `sending`, and
/healthz said ok. Now the sender is told it reached Hey Now (with its id), and /healthz is 503
until a write works again.
"""

import json
import sqlite3
from types import SimpleNamespace

import httpx
import pytest
from slack_bolt import App

from bot.domain import SendState
from bot.heynow import HeyNowClient
from bot.jobs.send_queue import SendQueue
from bot.services.contacts import Contacts
from bot.services.sending import Sending
from bot.slack.explain import unrecorded_note
from bot.web.router import Router
from storage import Store
from tests.conftest import ROW


def disk_full() -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = sqlite3.SQLITE_FULL
    return error


class FailingCommits:
    """The connection as SQLite behaves when the disk fills up: COMMIT fails."""

    def __init__(self, db):
        self._db = db
        self.full = False

    def execute(self, sql, *args, **kwargs):
        if self.full and sql == "COMMIT":
            raise disk_full()
        return self._db.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._db, name)


def heynow_answering(on_send):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"token": "t" * 32})
        if request.method == "POST":
            on_send()
            return httpx.Response(200, json={"idMessageHey": "hey-42"})
        return httpx.Response(404, json={})

    return HeyNowClient(
        base_url="https://heynow.test/api",
        user="u",
        password="p",
        transport=httpx.MockTransport(handler),
        backoff_seconds=0,
    )


def health(store: Store) -> tuple[str, dict]:
    runtime = SimpleNamespace(
        store=store,
        jobs=SimpleNamespace(running=True),
        simulator=None,
        settings=SimpleNamespace(slack_signing_secret="secret"),
        bolt=App(token="xoxb-x", signing_secret="secret", token_verification_enabled=False),
        priority=None,
    )
    answered = {}

    def start_response(status, headers):
        answered["status"] = status

    body = Router(runtime)({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, start_response)
    return answered["status"], json.loads(b"".join(body))


def queue_for(store, heynow, told):
    sending = Sending(
        store,
        heynow,
        Contacts(heynow),
        first_poll_seconds=5,
        name_wait_seconds=30,
        wake_queue=lambda: None,
        wake_outbox=lambda: None,
    )
    return SendQueue(
        sending,
        owner="w",
        lease_seconds=60,
        unrecorded=lambda message, result: told.append(
            unrecorded_note(message, result.state, result.hey_id)
        ),
    )


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "faults.db")
    yield store
    store.close()


def test_a_send_that_reached_hey_now_before_the_disk_filled_is_told_as_sent(store):
    failing = FailingCommits(store.db)
    store._db.db = failing
    told: list[str] = []
    queue = queue_for(store, heynow_answering(lambda: setattr(failing, "full", True)), told)
    store.messages.enqueue(ROW)
    assert queue.step()
    assert len(told) == 1
    assert (
        "reached Hey Now" in told[0] and "hey-42" in told[0] and "Do not send it again" in told[0]
    )
    status, report = health(store)
    assert status.startswith("503") and report["database"] == "database or disk is full"
    failing.full = False  # the disk has room again: the next step writes what Hey Now said
    assert not queue.step()
    message = store.messages.get(1)
    assert (message.send_state, message.id_message_hey) == (SendState.SENT, "hey-42")
    assert [r["kind"] for r in store.outbox.pending()] == ["announce"]
    assert health(store)[0].startswith("200")


def test_a_database_turned_read_only_while_hey_now_answers_is_told_truthfully(store):
    told: list[str] = []
    read_only = lambda: store.db.execute("PRAGMA query_only = 1")  # noqa: E731
    queue = queue_for(store, heynow_answering(read_only), told)
    store.messages.enqueue(ROW)
    assert queue.step()
    assert "reached Hey Now" in told[0]
    assert health(store)[0].startswith("503")
    store.db.execute("PRAGMA query_only = 0")
    assert store.messages.get(1).send_state is SendState.SENDING
    queue.sending.clock = lambda: 1e12  # the lease has run out: the sweep ends it as unknown
    assert not queue.step()
    assert store.messages.get(1).send_state is SendState.SENDING
