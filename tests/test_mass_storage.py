"""The mass-send store: decided once, each recipient's outcome written only by its claim,
nothing re-sent by itself after a crash, an audit event for every change."""

from __future__ import annotations

import threading

import pytest

from bot.domain import MassEvent, MassState, RecipientState, Status
from storage import Store

REQUEST = {
    "request_key": "view:T:V1:h1:abc",
    "team_id": "T",
    "requester": "U1",
    "origin_channel": "C1",
    "channel_id": 2,
    "platform_id": "104857600123456",
    "template": "Hola {nombre}",
    "created_at": 100.0,
    "expires_at": 100.0 + 24 * 3600,
}


@pytest.fixture
def store(tmp_path) -> Store:
    opened = Store(tmp_path / "mass.db")
    yield opened
    opened.close()


def request(store: Store, count: int = 3, key: str = REQUEST["request_key"]) -> int:
    recipients = [(f"24588{i:05d}", f"Hola {i}") for i in range(count)]
    made = store.mass.create({**REQUEST, "request_key": key}, recipients, {"duplicate": 1})
    assert made is not None
    return made


def running(store: Store, count: int = 3) -> int:
    rid = request(store, count)
    assert store.mass.transition(rid, MassState.APPROVED, MassEvent.APPROVED, actor="U2", now=101)
    assert store.mass.transition(rid, MassState.RUNNING, MassEvent.STARTED, actor="app", now=102)
    return rid


def test_a_request_is_stored_whole_and_a_second_submit_is_a_no_op(store):
    rid = request(store, 2500)
    assert store.mass.create(REQUEST, [("1", "x")], {}) is None
    stored = store.mass.get(rid)
    assert stored is not None and stored.total == 2500 and stored.state is MassState.PENDING
    assert stored.left_out == {"duplicate": 1}
    assert [r.text for r in store.mass.samples(rid)] == ["Hola 0", "Hola 1", "Hola 2"]
    assert [e["kind"] for e in store.mass.events(rid)] == ["requested"]


def test_two_approvers_at_once_decide_it_once(store):
    rid = request(store)
    results: list[object] = []
    barrier = threading.Barrier(8)

    def approve(who: str) -> None:
        barrier.wait()
        results.append(
            store.mass.transition(rid, MassState.APPROVED, MassEvent.APPROVED, actor=who, now=5)
        )

    threads = [threading.Thread(target=approve, args=(f"U{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if r is not None]) == 1
    assert [e["kind"] for e in store.mass.events(rid)] == ["requested", "approved"]


def test_a_rejected_request_cannot_be_approved_afterwards(store):
    rid = request(store)
    assert store.mass.transition(
        rid, MassState.REJECTED, MassEvent.REJECTED, actor="U2", now=5, reason="wrong text"
    )
    assert (
        store.mass.transition(rid, MassState.APPROVED, MassEvent.APPROVED, actor="U3", now=6)
        is None
    )
    assert store.mass.get(rid).reason == "wrong text"


def test_only_the_claim_that_holds_a_recipient_writes_its_outcome(store):
    rid = running(store)
    first = store.mass.claim(rid, "runner-a", 200, 30)
    assert first is not None and first.position == 1
    assert not store.mass.sent(first, "runner-b", "hey-x", 201, 5)
    assert store.mass.sent(first, "runner-a", "hey-1", 201, 5)
    assert not store.mass.sent(first, "runner-a", "hey-2", 202, 5)  # written once
    second = store.mass.claim(rid, "runner-a", 203, 30)
    assert second is not None and second.position == 2


def test_the_first_send_goes_alone_then_the_runners_send_side_by_side(store):
    """Seen end to end: on a platform that refuses mass sends, all eight runners' first
    claims reached Hey Now before its 403 stopped the run."""
    rid = running(store, 4)
    first = store.mass.claim(rid, "runner-a", 200, 30)
    assert first is not None and store.mass.claim(rid, "runner-b", 200, 30) is None
    assert store.mass.release(first, "runner-a")  # a 403: it did not go out
    again = store.mass.claim(rid, "runner-b", 201, 30)
    assert again is not None and again.position == 1
    assert store.mass.claim(rid, "runner-c", 201, 30) is None
    assert store.mass.sent(again, "runner-b", "hey-1", 202, 5)
    side_by_side = [store.mass.claim(rid, f"runner-{n}", 203, 30) for n in "abc"]
    assert [r.position for r in side_by_side if r] == [2, 3, 4]


def test_a_paused_request_gives_out_no_recipient(store):
    rid = running(store)
    assert store.mass.transition(rid, MassState.PAUSED, MassEvent.PAUSED, actor="U1", now=5)
    assert store.mass.claim(rid, "runner", 6, 30) is None


def test_failures_in_a_row_are_counted_and_a_success_resets_them(store):
    rid = running(store, 4)
    counts = []
    for _ in range(2):
        claimed = store.mass.claim(rid, "r", 1, 30)
        counts.append(store.mass.failed(claimed, "r", "NotFound"))
    ok = store.mass.claim(rid, "r", 1, 30)
    store.mass.sent(ok, "r", "hey", 2, 5)
    claimed = store.mass.claim(rid, "r", 1, 30)
    counts.append(store.mass.failed(claimed, "r", "NotFound"))
    assert counts == [1, 2, 1]


def test_a_crash_mid_send_leaves_the_recipient_unknown_never_pending(store):
    rid = running(store)
    store.mass.claim(rid, "dead-owner", 200, 30)
    assert store.mass.recover(now=200, owner_gone=lambda owner: owner == "dead-owner") == 1
    progress = store.mass.progress(store.mass.get(rid))
    assert (progress.unknown, progress.pending, progress.sending) == (1, 2, 0)


def test_a_live_lease_is_not_recovered(store):
    rid = running(store)
    store.mass.claim(rid, "alive", 200, 30)
    assert store.mass.recover(now=210, owner_gone=lambda owner: False) == 0


def test_it_finishes_once_and_retries_only_the_failed(store):
    rid = running(store, 3)
    outcomes = ["sent", "failed", "unknown"]
    for outcome in outcomes:
        claimed = store.mass.claim(rid, "r", 1, 30)
        getattr(store.mass, outcome)(
            claimed, "r", *(("hey", 2, 5) if outcome == "sent" else ("x",))
        )
    assert store.mass.finish_if_done(rid, 10) is not None
    assert store.mass.finish_if_done(rid, 11) is None
    again = store.mass.retry_failed(rid, actor="U2", now=12)
    assert again is not None and again.state is MassState.RUNNING and again.round == 2
    states = {r.client_id: r.state for r in store.mass.report(rid)}
    assert sorted(states.values()) == sorted(
        [RecipientState.SENT, RecipientState.PENDING, RecipientState.UNKNOWN]
    )
    assert store.mass.retry_failed(rid, actor="U2", now=13) is None  # not finished now


def test_pending_requests_expire_once(store):
    rid = request(store)
    assert store.mass.expire(REQUEST["expires_at"] - 1) == []
    assert [r.id for r in store.mass.expire(REQUEST["expires_at"])] == [rid]
    assert store.mass.expire(REQUEST["expires_at"] + 1) == []
    assert store.mass.get(rid).state is MassState.EXPIRED


def test_progress_counts_delivered_and_read_of_the_sent(store):
    rid = running(store, 3)
    for hey in ("a", "b"):
        claimed = store.mass.claim(rid, "r", 1, 30)
        store.mass.sent(claimed, "r", hey, 2, 5)
    polled = store.mass.due_polls(now=10, limit=10)
    assert len(polled) == 2
    assert store.mass.observed(polled[0], Status.READ, None, 5)
    assert store.mass.observed(polled[1], Status.DELIVERED, 20, 10)
    assert not store.mass.observed(
        store.mass.due_polls(now=30, limit=10)[0], Status.ONE_TICK, 40, 10
    )  # never backwards
    progress = store.mass.progress(store.mass.get(rid))
    assert (progress.sent, progress.delivered, progress.read, progress.pending) == (2, 2, 1, 1)


def test_the_opt_out_list(store):
    assert store.mass.opt_out(1, ["59891000001", "59891000002"], by="U1", now=1) == 2
    assert store.mass.opt_out(1, ["59891000001"], by="U1", now=2) == 0
    assert store.mass.opted_out(1) == {"59891000001", "59891000002"}
    assert store.mass.opted_out(2) == set()
    assert store.mass.opt_in(1, ["59891000002"]) == 1
    assert store.mass.opted_out(1) == {"59891000001"}
