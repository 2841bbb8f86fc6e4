import pytest

from bot.tracker import PollPolicy, Tracker

POLICY = PollPolicy(first_interval=10, max_interval=60, stuck_after=300, give_up_after=3600)


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def setup(fresh_store):
    clock = Clock()
    tracker = Tracker(fresh_store, POLICY, clock)
    message_id = fresh_store.claim_send(
        {
            "request_key": "k",
            "slack_channel": "C1",
            "slack_user": "U1",
            "created_at": clock.now,
            "channel_id": 1,
            "platform_id": "p",
            "client_id": "c",
            "text": "t",
        }
    )
    fresh_store.mark_sent(message_id, "hey", clock.now, tracker.first_poll_at(clock.now))
    fresh_store.mark_notice_posted(message_id, "announce", clock.now)
    return fresh_store, tracker, clock, message_id


def observe(store, tracker, clock, message_id, status, at):
    clock.now = at
    tracker.observe(store.get_message(message_id), status)
    return store.get_message(message_id)


def test_unchanged_status_backs_off_up_to_the_maximum(setup):
    store, tracker, clock, mid = setup
    intervals = [
        observe(store, tracker, clock, mid, "RS", 1000 + n).poll_interval for n in range(1, 6)
    ]
    assert intervals == [10, 20, 40, 60, 60]


def test_one_tick_owes_only_a_status_line_refresh_and_once(setup):
    store, tracker, clock, mid = setup
    observe(store, tracker, clock, mid, "RS", 1010)
    observe(store, tracker, clock, mid, "RS", 1020)
    assert [n.kind for n in store.pending_notices()] == ["one_tick"]


def test_a_change_polls_at_the_tick_again(setup):
    store, tracker, clock, mid = setup
    for n in range(3):
        observe(store, tracker, clock, mid, "RS", 1001 + n)
    message = observe(store, tracker, clock, mid, "RU", 1010)
    assert (message.poll_interval, message.next_poll_at) == (10, 1020)
    assert [n.kind for n in store.pending_notices()] == ["one_tick", "delivered"]


def test_read_stops_polling_and_owes_delivered_and_read(setup):
    store, tracker, clock, mid = setup
    message = observe(store, tracker, clock, mid, "LU", 1010)
    assert (message.next_poll_at, message.outcome) == (None, "read")
    assert [n.kind for n in store.pending_notices()] == ["delivered", "read"]


def test_statuses_never_move_back(setup):
    store, tracker, clock, mid = setup
    observe(store, tracker, clock, mid, "RU", 1010)
    assert observe(store, tracker, clock, mid, "RS", 1020).status == "RU"


def test_stuck_warning_once_then_give_up(setup):
    store, tracker, clock, mid = setup
    observe(store, tracker, clock, mid, "RS", 1000 + 299)
    assert [n.kind for n in store.pending_notices()] == ["one_tick"]
    observe(store, tracker, clock, mid, "RS", 1000 + 301)
    observe(store, tracker, clock, mid, "RS", 1000 + 400)
    assert [n.kind for n in store.pending_notices()] == ["one_tick", "stuck"]
    message = observe(store, tracker, clock, mid, "RS", 1000 + 3600)
    assert (message.next_poll_at, message.outcome) == (None, "stuck")
    assert [n.kind for n in store.pending_notices()] == ["one_tick", "stuck", "gave_up"]


def test_delivered_but_never_read_ends_as_delivered_without_a_stuck_warning(setup):
    store, tracker, clock, mid = setup
    observe(store, tracker, clock, mid, "RU", 1010)
    message = observe(store, tracker, clock, mid, "RU", 1000 + 4000)
    assert message.outcome == "delivered"
    assert [n.kind for n in store.pending_notices()] == ["delivered", "gave_up"]


def test_failed_polls_back_off_and_give_up_at_the_same_deadline(setup):
    store, tracker, clock, mid = setup
    clock.now = 1010
    tracker.poll_failed(store.get_message(mid), RuntimeError("down"))
    message = store.get_message(mid)
    assert (message.poll_failures, message.next_poll_at) == (1, 1030)
    clock.now = 1000 + 3600
    tracker.poll_failed(store.get_message(mid), RuntimeError("down"))
    assert store.get_message(mid).next_poll_at is None
