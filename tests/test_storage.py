import sqlite3
import threading

import pytest
from sqlite_utils import Database

from bot.domain import OutboxState, PostKind, Reply, SendState
from bot.domain.owed import Owed, reply
from storage import Store, schema
from tests.conftest import ROW, sent_message


def test_schema_version_is_recorded(fresh_store):
    assert fresh_store.schema_version == len(schema.migrations.applied(fresh_store.db)) == 8
    assert fresh_store.db.execute("PRAGMA user_version").fetchone()[0] == 8


def test_an_old_schema_is_migrated_forward_and_its_owed_notices_move_to_the_outbox(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    schema.migrations.apply(db, stop_before="m004_queue_and_leases")
    db["tokens"].insert({"account": "a", "token": "kept", "expires_at": 9e9, "saved_at": 1.0})
    db["messages"].insert({**ROW, "send_state": "sent", "status": "RU", "slack_ts": "1.1"})
    db["notices"].insert_all(
        [
            {"message_id": 1, "kind": "announce", "created_at": 1.0, "posted_at": 2.0},
            {"message_id": 1, "kind": "delivered", "created_at": 3.0},
        ]
    )
    db.close()
    store = Store(path)
    assert store.schema_version == 8
    assert store.tokens.load_token("a") == ("kept", 9e9)
    assert not store.db["notices"].exists()
    assert [(r["dedupe_key"], r["state"]) for r in store.outbox.for_message(1)] == [
        ("m1:announce", "posted"),
        ("m1:reply:delivered", "due"),
    ]


def test_wal_mode_on_files(tmp_path):
    store = Store(tmp_path / "x.db")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 2000


def test_the_same_request_is_recorded_once(fresh_store):
    assert fresh_store.messages.enqueue(ROW) == 1
    assert fresh_store.messages.enqueue(ROW) is None
    assert fresh_store.messages.enqueue({**ROW, "request_key": "T1:trig-2"}) == 2
    assert fresh_store.messages.get(1).send_state is SendState.QUEUED


def test_a_row_missing_a_required_column_is_a_bug_not_a_repeat(fresh_store):
    with pytest.raises(sqlite3.IntegrityError):
        fresh_store.messages.enqueue({**ROW, "slack_user": None})


def test_a_queued_send_is_claimed_by_one_worker_only(fresh_store):
    fresh_store.messages.enqueue(ROW)
    first = fresh_store.messages.claim_send("a", 200.0, 60)
    assert (first.send_state, first.lease_owner, first.lease_expires) == ("sending", "a", 260.0)
    assert fresh_store.messages.claim_send("b", 200.0, 60) is None


def test_only_the_lease_holder_records_the_outcome(fresh_store):
    fresh_store.messages.enqueue(ROW)
    message = fresh_store.messages.claim_send("a", 200.0, 60)
    assert not fresh_store.messages.mark_sent(
        message, "b", "hey", 201.0, first_poll_at=205.0, announce_at=201.0
    )
    assert fresh_store.messages.mark_sent(
        message, "a", "hey", 201.0, first_poll_at=205.0, announce_at=201.0
    )
    assert fresh_store.messages.get(message.id).send_state is SendState.SENT


def test_the_channel_post_waits_for_the_clients_name_but_not_forever(fresh_store):
    fresh_store.messages.enqueue(ROW)
    message = fresh_store.messages.claim_send("w", 200.0, 60)
    fresh_store.messages.mark_sent(
        message, "w", "hey", 200.0, first_poll_at=205.0, announce_at=230.0
    )
    assert fresh_store.outbox.claim("p", 229.0, 30) is None
    assert fresh_store.outbox.claim("p", 230.0, 30).kind is PostKind.ANNOUNCE  # a crash: unnamed


def test_naming_the_client_lets_the_channel_post_go_at_once(fresh_store):
    fresh_store.messages.enqueue(ROW)
    message = fresh_store.messages.claim_send("w", 200.0, 60)
    fresh_store.messages.mark_sent(
        message, "w", "hey", 200.0, first_poll_at=205.0, announce_at=230.0
    )
    fresh_store.messages.name_and_announce(message.id, "Ana", 201.0)
    row = fresh_store.outbox.claim("p", 201.0, 30)
    assert row.message.client_name == "Ana"


def test_recovery_turns_dead_leases_unknown_closes_old_queued_sends_and_tells_each_sender(
    fresh_store,
):
    for n in range(4):
        fresh_store.messages.enqueue({**ROW, "request_key": f"k{n}", "created_at": 100.0 + n * 100})
    fresh_store.messages.claim_send("dead", 150.0, 60)  # #1, lease runs out at 210
    fresh_store.messages.claim_send("alive", 150.0, 600)  # #2, lease still held
    found = fresh_store.messages.recover(300.0, owner_gone=lambda owner: False, queued_before=350.0)
    assert (found.interrupted, found.expired) == (1, 1)
    states = [fresh_store.messages.get(n).send_state for n in (1, 2, 3, 4)]
    assert states == ["unknown", "sending", "expired", "queued"]
    notices = [r["dedupe_key"] for r in fresh_store.outbox.pending()]
    assert notices == ["m1:notice:interrupted", "m3:notice:expired"]


def test_a_lease_whose_owner_is_gone_is_dead_before_it_runs_out(fresh_store):
    fresh_store.messages.enqueue(ROW)
    fresh_store.messages.claim_send("gone", 150.0, 600)
    found = fresh_store.messages.recover(
        200.0, owner_gone=lambda o: o == "gone", queued_before=None
    )
    assert found.interrupted == 1


def test_a_due_poll_is_taken_once_until_its_lease_runs_out(fresh_store):
    message_id = sent_message(fresh_store)
    assert [m.id for m in fresh_store.messages.claim_polls(110.0, 10, 30)] == [message_id]
    assert fresh_store.messages.claim_polls(110.0, 10, 30) == []
    assert [m.id for m in fresh_store.messages.claim_polls(140.0, 10, 30)] == [message_id]


def test_history_is_per_user_newest_first(fresh_store):
    for n, user in enumerate(["U1", "U2", "U1"]):
        fresh_store.messages.enqueue({**ROW, "request_key": f"k{n}", "slack_user": user})
    assert [m.id for m in fresh_store.messages.recent_for_user("T1", "U1")] == [3, 1]


def test_writes_from_threads_do_not_collide(tmp_path):
    store = Store(tmp_path / "t.db")

    def enqueue(n):
        for i in range(50):
            store.messages.enqueue({**ROW, "request_key": f"{n}-{i}"})

    threads = [threading.Thread(target=enqueue, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.db["messages"].count == 200


def owe(store, key, topic, at=100.0):
    store.outbox.owe(Owed(key, PostKind.DM, topic, at, channel="U1", user="U1"))


def test_a_thread_goes_out_in_order_while_other_threads_go_in_parallel(fresh_store):
    owe(fresh_store, "a1", "message:1")
    owe(fresh_store, "a2", "message:1")
    owe(fresh_store, "b1", "message:2")
    first = fresh_store.outbox.claim("p1", 100.0, 30)
    second = fresh_store.outbox.claim("p2", 100.0, 30)
    assert {first.dedupe_key, second.dedupe_key} == {"a1", "b1"}
    assert fresh_store.outbox.claim("p3", 100.0, 30) is None  # a2 waits for a1
    fresh_store.outbox.posted(
        first if first.dedupe_key == "a1" else second,
        "C",
        "1.1",
        101.0,
    )
    assert fresh_store.outbox.claim("p3", 101.0, 30).dedupe_key == "a2"


def test_owing_the_same_post_twice_leaves_one_row(fresh_store):
    message_id = sent_message(fresh_store)
    for _ in range(2):
        fresh_store.outbox.owe(reply(message_id, Reply.READ, 120.0))
    assert [r["dedupe_key"] for r in fresh_store.outbox.for_message(message_id)].count(
        f"m{message_id}:reply:read"
    ) == 1


def test_a_row_cut_off_mid_post_is_claimed_again_as_maybe_posted(fresh_store):
    owe(fresh_store, "a1", "user:U1")
    fresh_store.outbox.claim("crashed", 100.0, 30)
    assert fresh_store.outbox.claim("next", 120.0, 30) is None  # still leased
    again = fresh_store.outbox.claim("next", 131.0, 30)
    assert (again.dedupe_key, again.maybe_posted, again.attempts) == ("a1", True, 2)


def test_a_given_up_channel_post_takes_its_thread_with_it(fresh_store):
    message_id = sent_message(fresh_store)
    fresh_store.outbox.owe(reply(message_id, Reply.DELIVERED, 120.0))
    announce = fresh_store.outbox.claim("p", 120.0, 30)
    fresh_store.outbox.set_aside(announce, OutboxState.GIVEN_UP, "channel_not_found")
    assert fresh_store.outbox.pending() == []
