"""Acks first: background steps hold back while Slack's requests are answered."""

import threading

from bot.jobs.priority import AckPriority


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def started(priority, loop):
    """A background step of `loop` in a thread; the event is set once it runs."""
    running, done = threading.Event(), threading.Event()

    def step():
        with priority.step(loop):
            running.set()
            done.wait(5)

    threading.Thread(target=step, daemon=True).start()
    return running, done


def test_with_no_request_in_flight_steps_run_free():
    priority = AckPriority(busy_slots=1)
    steps = [started(priority, "send") for _ in range(3)]
    assert all(running.wait(1) for running, _ in steps)
    for _, done in steps:
        done.set()


def test_while_requests_are_answered_the_background_runs_only_its_busy_slots():
    clock = Clock()
    priority = AckPriority(busy_slots=2, settle=0.25, clock=clock)
    with priority.answering():
        first, second = started(priority, "send"), started(priority, "outbox")
        assert first[0].wait(1) and second[0].wait(1)
        third = started(priority, "send")
        assert not third[0].wait(0.3)  # both slots are taken, whichever loop took them
        first[1].set()  # a slot frees up
        assert third[0].wait(1)
        for _, done in (second, third):
            done.set()


def test_the_loops_run_free_once_no_request_has_ended_for_the_settle_time():
    clock = Clock()
    priority = AckPriority(busy_slots=1, settle=0.25, clock=clock)
    with priority.answering():
        pass
    busy = started(priority, "send")
    assert busy[0].wait(1)
    waiting = started(priority, "send")
    assert not waiting[0].wait(0.3)  # the last request ended just now: one slot
    clock.now += 0.25
    assert waiting[0].wait(1)
    busy[1].set()
    waiting[1].set()
