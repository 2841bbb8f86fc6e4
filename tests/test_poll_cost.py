"""Finding 14: an idle poll cycle cost 14x more with 10,000 tracked messages than with 100,
because the owed-notices query scanned every notice ever posted. The cost is counted in SQLite
virtual-machine steps (deterministic, unlike time); bench/poll.py measures the time."""

import pytest

from storage import Store


def fill(store: Store, tracked: int, posted: int) -> None:
    """`tracked` sent messages none of which is due, and `posted` outbox rows of history."""
    db = store.db
    db.conn.executemany(
        "INSERT INTO messages (request_key, slack_channel, slack_user, channel_id, platform_id, "
        "client_id, text, send_state, status, created_at, sent_at, next_poll_at) "
        "VALUES (?, 'C1', 'U1', 1, 'p', 'c', 't', 'sent', 'RS', 1, 1, 9e9)",
        [(f"k{n}",) for n in range(tracked)],
    )
    db.conn.executemany(
        "INSERT INTO outbox (dedupe_key, kind, topic, message_id, state, attempts, "
        "next_attempt_at, created_at, posted_at) "
        "VALUES (?, 'reply', ?, ?, 'posted', 1, 1, 1, 2)",
        [(f"m{n}:r", f"message:{n % tracked + 1}", n % tracked + 1) for n in range(posted)],
    )


def idle_cycle_steps(store: Store) -> int:
    """SQLite VM steps of one poll-and-flush cycle with nothing due."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    store.db.conn.set_progress_handler(count, 1)
    try:
        assert store.messages.claim_polls(1000.0, 200, 30) == []
        assert store.outbox.claim("poster", 1000.0, 30) is None
    finally:
        store.db.conn.set_progress_handler(None, 1)
    return steps


@pytest.fixture
def small(tmp_path):
    store = Store(tmp_path / "small.db")
    fill(store, tracked=100, posted=0)
    yield store
    store.close()


@pytest.fixture
def large(tmp_path):
    store = Store(tmp_path / "large.db")
    fill(store, tracked=2_000, posted=20_000)
    yield store
    store.close()


def test_an_idle_cycle_costs_the_same_however_long_the_history(small, large):
    assert idle_cycle_steps(large) <= 1.5 * idle_cycle_steps(small)
