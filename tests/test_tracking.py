"""Status observations decided in the store, on the row as it is inside the transaction."""

import pytest

from bot.domain import Outcome, Status
from bot.domain.tracking import PollPolicy
from bot.heynow import NotFound
from bot.services.tracking import Tracking
from tests.conftest import sent_message

POLICY = PollPolicy(first_interval=10, max_interval=60, stuck_after=300, give_up_after=3600)


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def setup(fresh_store):
    clock = Clock()
    tracking = Tracking(fresh_store, POLICY, wake_outbox=lambda: None, clock=clock)
    message_id = sent_message(fresh_store, at=clock.now)
    announce = fresh_store.outbox.claim("p", clock.now, 30)
    fresh_store.outbox.posted(announce, "C1", "1.1", clock.now, shown_line="sent/?/")
    return fresh_store, tracking, clock, message_id


def observe(setup, status, at):
    store, tracking, clock, message_id = setup
    clock.now = at
    tracking.observe(message_id, Status(status))
    return store.messages.get(message_id)


def owed(store):
    return [r["dedupe_key"].split(":", 1)[1] for r in store.outbox.pending()]


def test_unchanged_status_backs_off_up_to_the_maximum(setup):
    intervals = [observe(setup, "RS", 1000 + n).poll_interval for n in range(1, 6)]
    assert intervals == [10, 20, 40, 60, 60]


def test_one_tick_owes_only_a_status_line_update_and_once(setup):
    observe(setup, "RS", 1010)
    observe(setup, "RS", 1020)
    assert owed(setup[0]) == ["line:sent/RS/"]


def test_a_change_polls_at_the_first_interval_again(setup):
    for n in range(3):
        observe(setup, "RS", 1001 + n)
    message = observe(setup, "RU", 1010)
    assert (message.poll_interval, message.next_poll_at) == (10, 1020)
    assert owed(setup[0]) == ["line:sent/RS/", "reply:delivered", "line:sent/RU/"]


def test_read_stops_polling_and_owes_delivered_and_read_in_order(setup):
    message = observe(setup, "LU", 1010)
    assert (message.next_poll_at, message.outcome) == (None, Outcome.READ)
    assert (message.rs_at, message.ru_at, message.lu_at) == (1010, 1010, 1010)
    assert owed(setup[0]) == ["reply:delivered", "reply:read", "line:sent/LU/read"]


def test_a_late_answer_seen_after_read_moves_nothing_back_nor_restarts_polling(setup):
    """Finding 6: two threads saw RU and LU; the one that saw RU wrote last, from a stale copy."""
    store, tracking, clock, message_id = setup
    stale = store.messages.get(message_id)  # what the slower thread read before polling
    observe(setup, "LU", 1010)
    clock.now = 1011
    tracking.observe(stale.id, Status.DELIVERED)
    message = store.messages.get(message_id)
    assert (message.status, message.next_poll_at, message.outcome) == ("LU", None, "read")
    assert owed(store) == ["reply:delivered", "reply:read", "line:sent/LU/read"]


def test_stuck_warning_once_then_give_up(setup):
    observe(setup, "RS", 1000 + 299)
    observe(setup, "RS", 1000 + 301)
    observe(setup, "RS", 1000 + 400)
    assert owed(setup[0]) == ["line:sent/RS/", "reply:stuck"]
    message = observe(setup, "RS", 1000 + 3600)
    assert (message.next_poll_at, message.outcome) == (None, Outcome.STUCK)
    assert owed(setup[0])[-2:] == ["reply:gave_up", "line:sent/RS/stuck"]


def test_delivered_but_never_read_ends_as_delivered_without_a_stuck_warning(setup):
    observe(setup, "RU", 1010)
    message = observe(setup, "RU", 1000 + 4000)
    assert message.outcome == Outcome.DELIVERED
    assert "reply:stuck" not in owed(setup[0])


def test_failed_polls_back_off_and_give_up_at_the_same_deadline(setup):
    store, tracking, clock, message_id = setup
    clock.now = 1010
    tracking.failed(message_id, RuntimeError("down"), not_found=False)
    message = store.messages.get(message_id)
    assert (message.poll_failures, message.next_poll_at) == (1, 1020)
    clock.now = 1000 + 3600
    tracking.failed(message_id, RuntimeError("down"), not_found=False)
    assert store.messages.get(message_id).next_poll_at is None
    assert "reply:gave_up" in owed(store)


def test_a_status_hey_now_keeps_not_knowing_ends_the_following_with_a_thread_note(setup):
    """Finding 9: a 404 was retried as a temporary failure until the 48 h give-up."""
    store, tracking, clock, message_id = setup
    for n in range(1, 3):
        clock.now = 1000 + n
        tracking.failed(message_id, NotFound(404, ""), not_found=True)
        assert store.messages.get(message_id).next_poll_at is not None
    clock.now = 1003
    tracking.failed(message_id, NotFound(404, ""), not_found=True)
    message = store.messages.get(message_id)
    assert (message.next_poll_at, message.outcome) == (None, Outcome.LOST)
    assert owed(store)[-2:] == ["reply:lost", "line:sent/?/lost"]


def test_an_answer_between_two_404s_starts_the_count_again(setup):
    store, tracking, clock, message_id = setup
    for status_or_404 in (None, None, "RS", None, None):
        clock.now += 1
        if status_or_404:
            tracking.observe(message_id, Status(status_or_404))
        else:
            tracking.failed(message_id, NotFound(404, ""), not_found=True)
    assert store.messages.get(message_id).outcome is None
