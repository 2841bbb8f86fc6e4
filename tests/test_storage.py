import sqlite3

import pytest
from sqlite_utils import Database

from storage import Store, schema

ROW = {
    "request_key": "T1:trig-1",
    "slack_channel": "C1",
    "slack_user": "U1",
    "created_at": 100.0,
    "channel_id": 1,
    "platform_id": "p",
    "client_id": "c",
    "text": "hi",
}


def test_schema_version_is_recorded(fresh_store):
    assert fresh_store.schema_version == len(schema.migrations.applied(fresh_store.db)) == 3
    assert fresh_store.db.execute("PRAGMA user_version").fetchone()[0] == 3


def test_an_old_schema_is_migrated_forward(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    schema.migrations.apply(db, stop_before="m002_create_messages")
    db["tokens"].insert({"account": "a", "token": "kept", "expires_at": 9e9, "saved_at": 1.0})
    db.close()
    store = Store(path)
    assert store.schema_version == 3
    assert store.load_token("a") == ("kept", 9e9)
    assert store.db["messages"].exists() and store.db["notices"].exists()


def test_wal_mode_on_files(tmp_path):
    store = Store(tmp_path / "x.db")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_the_same_slack_request_is_claimed_once(fresh_store):
    assert fresh_store.claim_send(ROW) == 1
    assert fresh_store.claim_send(ROW) is None
    assert fresh_store.claim_send({**ROW, "request_key": "T1:trig-2"}) == 2


def test_marking_sent_schedules_a_poll_and_owes_the_announce(fresh_store):
    message_id = fresh_store.claim_send(ROW)
    fresh_store.mark_sent(message_id, "hey-1", now=200.0, first_poll_at=205.0)
    message = fresh_store.get_message(message_id)
    assert (message.send_state, message.id_message_hey, message.next_poll_at) == (
        "sent",
        "hey-1",
        205.0,
    )
    assert fresh_store.due_for_poll(204.0, 10) == []
    assert [m.id for m in fresh_store.due_for_poll(205.0, 10)] == [message_id]
    assert [n.kind for n in fresh_store.pending_notices()] == ["announce"]


def test_a_send_without_id_is_not_polled(fresh_store):
    message_id = fresh_store.claim_send(ROW)
    fresh_store.mark_sent(message_id, None, now=200.0, first_poll_at=205.0)
    assert fresh_store.get_message(message_id).outcome == "untracked"
    assert fresh_store.due_for_poll(9e9, 10) == []


def test_a_skipped_status_fills_every_timestamp_it_implies(fresh_store):
    message_id = fresh_store.claim_send(ROW)
    fresh_store.mark_sent(message_id, "hey-1", 200.0, 205.0)
    fresh_store.record_status(message_id, "RS", 210.0, next_poll_at=215.0, poll_interval=5)
    fresh_store.record_status(
        message_id, "LU", 220.0, next_poll_at=None, poll_interval=5, outcome="read"
    )
    message = fresh_store.get_message(message_id)
    assert (message.rs_at, message.ru_at, message.lu_at, message.outcome) == (
        210.0,
        220.0,
        220.0,
        "read",
    )


def test_notices_are_owed_once_and_come_out_in_order(fresh_store):
    message_id = fresh_store.claim_send(ROW)
    fresh_store.mark_sent(message_id, "hey-1", 200.0, 205.0)
    fresh_store.record_status(
        message_id, "LU", 210.0, next_poll_at=None, poll_interval=5, owe=("read", "delivered")
    )
    fresh_store.owe_notice(message_id, "read", 211.0)
    assert [n.kind for n in fresh_store.pending_notices()] == ["announce", "delivered", "read"]
    fresh_store.mark_notice_posted(message_id, "announce", 212.0)
    fresh_store.mark_notice_failed(message_id, "delivered", "ratelimited", abandon=True)
    assert [n.kind for n in fresh_store.pending_notices()] == ["read"]


def test_history_is_per_user_newest_first(fresh_store):
    for n, user in enumerate(["U1", "U2", "U1"]):
        fresh_store.claim_send({**ROW, "request_key": f"k{n}", "team_id": "T1", "slack_user": user})
    assert [m.id for m in fresh_store.recent_for_user("T1", "U1")] == [3, 1]


def test_writes_from_threads_do_not_collide(tmp_path):
    import threading

    store = Store(tmp_path / "t.db")

    def claim(n):
        for i in range(50):
            store.claim_send({**ROW, "request_key": f"{n}-{i}"})

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.db["messages"].count == 200
    assert store.db.execute("SELECT COUNT(DISTINCT request_key) FROM messages").fetchone()[0] == 200


def test_an_abandoned_announce_takes_its_thread_notices_with_it(fresh_store):
    message_id = fresh_store.claim_send(ROW)
    fresh_store.mark_sent(message_id, "hey-1", 200.0, 205.0)
    fresh_store.owe_notice(message_id, "delivered", 210.0)
    fresh_store.mark_notice_failed(message_id, "announce", "channel_not_found", abandon=True)
    fresh_store.owe_notice(message_id, "read", 220.0)  # owed later: born abandoned
    assert fresh_store.pending_notices() == []


def test_sends_cut_off_by_a_stop_become_unknown_at_start_up(tmp_path):
    store = Store(tmp_path / "crash.db")
    cut_off = store.claim_send(ROW)
    finished = store.claim_send({**ROW, "request_key": "T1:trig-2"})
    store.mark_sent(finished, "hey-2", 200.0, 205.0)
    store.close()
    restarted = Store(tmp_path / "crash.db")
    assert restarted.mark_interrupted_sends_unknown() == 1
    assert restarted.get_message(cut_off).send_state == "unknown"
    assert restarted.get_message(finished).send_state == "sent"


def test_a_row_missing_a_required_column_is_a_bug_not_a_repeat(fresh_store):
    incomplete = {k: v for k, v in ROW.items() if k != "slack_user"}
    with pytest.raises(sqlite3.IntegrityError):
        fresh_store.claim_send(incomplete)
