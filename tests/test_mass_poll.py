"""The delivery of what a mass send sent: statuses move forward, polls back off and end, and
the summary is redrawn once per slot for the whole batch, never once per recipient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.domain import MassEvent, MassState, Status
from bot.domain.tracking import PollPolicy
from bot.heynow import NotFound
from bot.jobs.mass_poll import MassPoll
from storage import Store


class HeyNow:
    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = statuses
        self.asked: list[str] = []

    def message_status(self, ref, message_id):  # noqa: ANN001 (the client's signature)
        self.asked.append(message_id)
        answer = self.statuses.get(message_id, "RS")
        if answer == "404":
            raise NotFound(404, "")
        return answer


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    opened = Store(tmp_path / "poll.db")
    yield opened
    opened.close()


def sent(store: Store, count: int) -> int:
    rid = store.mass.create(
        {
            "request_key": "k",
            "requester": "U1",
            "channel_id": 2,
            "platform_id": "104857600123456",
            "template": "x",
            "created_at": 0.0,
        },
        [(f"c{i}", "x") for i in range(count)],
        {},
    )
    store.mass.transition(rid, MassState.APPROVED, MassEvent.APPROVED, actor="U2", now=0)
    store.mass.transition(rid, MassState.RUNNING, MassEvent.STARTED, actor="app", now=0)
    for i in range(count):
        claimed = store.mass.claim(rid, "r", 0, 60)
        store.mass.sent(claimed, "r", f"hey-{i}", 100.0, 5)
    return rid


def test_statuses_move_and_the_summary_is_owed_once_for_the_batch(store):
    rid = sent(store, 50)
    heynow = HeyNow({f"hey-{i}": "LU" if i % 2 else "RU" for i in range(50)})
    clock = [105.0]
    poll = MassPoll(store, heynow, PollPolicy(5, 60, 600, 3600), clock=lambda: clock[0])
    assert poll.tick() == 50
    progress = store.mass.progress(store.mass.get(rid))
    assert (progress.delivered, progress.read) == (50, 25)
    clock[0] = 110.0  # the slot is over: its one redraw is owed now, never ahead
    poll.tick()
    summaries = [
        r["dedupe_key"]
        for r in store.db.query(
            "SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE 'q%:summary:%'"
        )
    ]
    assert summaries == [f"q{rid}:summary:d10"]
    # Read ones are done; delivered ones are asked again later, not at once.
    assert poll.tick() == 0
    clock[0] = 200.0
    assert poll.tick() == 25
    poll.close()


def test_polls_back_off_while_nothing_moves_and_end_past_the_give_up_time(store):
    sent(store, 1)
    heynow = HeyNow({})
    clock = [105.0]
    poll = MassPoll(store, heynow, PollPolicy(5, 40, 600, 1000), clock=lambda: clock[0])
    intervals = []
    for _ in range(5):
        poll.tick()
        row = next(iter(store.db.query("SELECT next_poll_at, poll_interval FROM mass_recipients")))
        intervals.append(row["poll_interval"])
        clock[0] = row["next_poll_at"] or clock[0]
    assert intervals[0] == 5 and intervals[1:] == [10, 20, 40, 40]  # RS once, then nothing moves
    clock[0] = 100.0 + 1000
    poll.tick()
    row = next(iter(store.db.query("SELECT next_poll_at, status FROM mass_recipients")))
    assert row["next_poll_at"] is None and Status(row["status"]) is Status.ONE_TICK
    poll.close()


def test_a_message_hey_now_no_longer_knows_is_not_asked_again(store):
    sent(store, 1)
    heynow = HeyNow({"hey-0": "404"})
    poll = MassPoll(store, heynow, PollPolicy(5, 40, 600, 1000), clock=lambda: 200.0)
    poll.tick()
    assert poll.tick() == 0 and heynow.asked == ["hey-0"]
    poll.close()
