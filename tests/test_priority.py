"""Acks first: background steps hold back while Slack's requests are answered."""

import threading

from bot.jobs.priority import AckPriority


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_with_no_request_in_flight_a_step_goes_at_once():
    AckPriority().wait_for_quiet()  # returns: nothing to wait for


def test_while_a_request_is_answered_only_one_step_per_trickle_goes():
    clock = Clock()
    priority = AckPriority(trickle=0.05, settle=0.25, clock=clock)
    released = []
    with priority.answering():
        priority.wait_for_quiet()  # the background's first turn
        waiter = threading.Thread(target=lambda: released.append(priority.wait_for_quiet()))
        waiter.start()
        waiter.join(0.2)
        assert released == []  # the second waits for its turn (the clock stands still)
        clock.now += 0.05
        waiter.join(2)
    assert released == [None]


def test_the_background_waits_for_the_settle_time_after_the_last_request():
    clock = Clock()
    priority = AckPriority(trickle=10, settle=0.25, clock=clock)
    with priority.answering():
        priority.wait_for_quiet()  # uses the turn
    released = []
    waiter = threading.Thread(target=lambda: released.append(priority.wait_for_quiet()))
    waiter.start()
    waiter.join(0.2)
    assert released == []  # the last request ended just now
    clock.now += 0.25
    waiter.join(2)
    assert released == [None]
