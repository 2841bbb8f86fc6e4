"""Who may decide what about a mass send, and when: the guards of bot.services.mass, each
with the case that would get through without it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.domain import MassEvent, MassState, RecipientState
from bot.heynow import DeliveryUnknown, PlatformRef
from bot.i18n import Texts
from bot.jobs.mass_run import pacing
from bot.services.inputs import SlackOrigin
from bot.services.mass import MassDraft, MassPolicy, MassSends, Verdict
from bot.services.permissions import Permissions
from storage import Store
from tests.mass_fakes import Clock, HeyNow, run_out, runner

REQUESTER, BOSS, OTHER = "U0ASKER", "U0BOSS", "U0OTHER"
REF = PlatformRef.parse("2:104857600123456")


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    opened = Store(tmp_path / "decide.db")
    yield opened
    opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(1_000_000.0)


def service(store: Store, clock: Clock, heynow: HeyNow | None = None) -> MassSends:
    permissions = Permissions(None, senders=(), platforms=(), approvers=(BOSS, OTHER))  # type: ignore[arg-type]
    policy = MassPolicy(approvals_channel="C0APPROVE", allow_self_approval=False, expiry_hours=1)
    return MassSends(store, heynow or HeyNow(), permissions, policy, clock=clock)


def asked(sends: MassSends, count: int = 3, not_before: float | None = None) -> int:
    draft = MassDraft(REF, "hola", tuple((f"c{i}", "hola") for i in range(count)), {}, not_before)
    origin = SlackOrigin(
        team_id="T", channel_id="C1", user_id=REQUESTER, request_key=f"k{count}{not_before}"
    )
    made = sends.submit(draft, origin, Texts.of("es"))
    assert made is not None
    return made


def test_a_request_paused_before_its_time_resumes_to_waiting_not_to_sending(store, clock):
    heynow = HeyNow()
    sends = service(store, clock, heynow)
    rid = asked(sends, not_before=clock.now + 3600)
    assert sends.approve(rid, BOSS).verdict is Verdict.DONE
    assert sends.pause(rid, REQUESTER).verdict is Verdict.DONE
    assert sends.resume(rid, REQUESTER).verdict is Verdict.DONE
    assert store.mass.get(rid).state is MassState.APPROVED
    run = runner(store, heynow, clock)
    run.sweep()
    run_out(run)
    assert heynow.sent == []  # its send-not-before still holds


def test_a_finished_request_is_not_resumed(store, clock):
    heynow = HeyNow()
    sends = service(store, clock, heynow)
    rid = asked(sends)
    sends.approve(rid, BOSS)
    run = runner(store, heynow, clock)
    run.sweep()
    run_out(run)
    assert store.mass.get(rid).state is MassState.FINISHED
    assert sends.resume(rid, BOSS).verdict is Verdict.TOO_LATE


def test_nobody_approves_a_request_past_its_expiry_even_before_the_sweep(store, clock):
    sends = service(store, clock)
    rid = asked(sends)
    clock.now += 3601
    assert sends.approve(rid, BOSS).verdict is Verdict.TOO_LATE
    assert store.mass.get(rid).state is MassState.PENDING  # the sweep will expire it


def test_the_requester_does_not_end_an_approvers_pause(store, clock):
    sends = service(store, clock)
    rid = asked(sends)
    sends.approve(rid, BOSS)
    store.mass.transition(
        rid, MassState.RUNNING, MassEvent.STARTED, actor="app", now=clock.now, started_at=clock.now
    )
    assert sends.pause(rid, OTHER).verdict is Verdict.DONE
    assert sends.resume(rid, REQUESTER).verdict is Verdict.NOT_APPROVER
    assert sends.resume(rid, BOSS).verdict is Verdict.DONE
    assert store.mass.get(rid).state is MassState.RUNNING


def test_a_second_pause_is_told_again(store, clock):
    sends = service(store, clock)
    rid = asked(sends)
    sends.approve(rid, BOSS)
    for _ in range(2):
        clock.now += 1
        sends.pause(rid, BOSS)
        clock.now += 1
        sends.resume(rid, BOSS)
    notes = [
        r["dedupe_key"]
        for r in store.db.query(
            "SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE ?", [f"q{rid}:note:paused:%"]
        )
    ]
    assert len(notes) == 2


def test_lost_answers_in_a_row_pause_the_run(store, clock):
    heynow = HeyNow([DeliveryUnknown("lost")] * 10)
    sends = service(store, clock, heynow)
    rid = asked(sends, 20)
    sends.approve(rid, BOSS)
    run = runner(store, heynow, clock, max_failures=3)
    run.sweep()
    run_out(run)
    assert len(heynow.sent) == 3 and store.mass.get(rid).state is MassState.PAUSED
    states = [r.state for r in store.mass.report(rid)]
    assert states.count(RecipientState.UNKNOWN) == 3


def test_a_test_is_not_sent_to_an_opted_out_number_nor_for_a_stranger(store, clock):
    heynow = HeyNow()
    sends = service(store, clock, heynow)
    rid = asked(sends)
    store.mass.opt_out(REF.channel.value, ["59891000009"], by=REQUESTER, now=clock.now)
    assert sends.send_test(rid, REQUESTER, "59891000009") is Verdict.OPTED_OUT
    assert sends.send_test(rid, "U0STRANGER", "59891000001") is Verdict.NOT_ALLOWED
    assert sends.send_test(rid, REQUESTER, "59891000001") == "hey-1"
    assert [client for client, _ in heynow.sent] == ["59891000001"]


def test_a_request_with_its_last_sends_in_flight_does_not_hold_up_the_next(store, clock):
    sends = service(store, clock)
    first, second = asked(sends, 1), asked(sends, 2)
    for rid in (first, second):
        sends.approve(rid, BOSS)
        store.mass.transition(rid, MassState.RUNNING, MassEvent.STARTED, actor="app", now=clock.now)
    in_flight = store.mass.claim_any("a", clock.now, 60)
    next_one = store.mass.claim_any("b", clock.now, 60)
    assert (in_flight.request_id, next_one.request_id) == (first, second)


def test_slow_rates_are_paced_not_rounded_up():
    (slow,) = pacing(0.5)
    assert (slow.limit, slow.interval) == (1, 2000)
    fast = pacing(50)
    assert [(r.limit, r.interval) for r in fast] == [(5, 100), (50, 1000)]
