"""The run of a mass send, against a Hey Now stand-in that answers as told: every recipient
once, paused by itself after failures in a row, stopped at once by a 403, silent in quiet hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.domain import MassEvent, MassState, PauseReason, RecipientState
from bot.domain.mass import QuietHours
from bot.heynow import DeliveryUnknown, NotFound, PermissionDenied
from bot.jobs.mass_run import PROGRESS_SECONDS
from storage import Store
from tests.mass_fakes import Clock, HeyNow, run_out, runner

NOON = datetime(2026, 12, 1, 15, 0, tzinfo=UTC).timestamp()  # 12:00 in Montevideo
NIGHT = datetime(2026, 12, 2, 1, 0, tzinfo=UTC).timestamp()  # 22:00 in Montevideo


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    opened = Store(tmp_path / "run.db")
    yield opened
    opened.close()


def approved(store: Store, count: int, not_before: float | None = None) -> int:
    made = store.mass.create(
        {
            "request_key": f"k{count}{not_before}",
            "requester": "U1",
            "channel_id": 2,
            "platform_id": "104857600123456",
            "template": "Hola",
            "created_at": 0.0,
            "expires_at": 10**10,
            "not_before": not_before,
        },
        [(f"24588{i:05d}", f"Hola {i}") for i in range(count)],
        {},
    )
    assert made is not None
    assert store.mass.transition(made, MassState.APPROVED, MassEvent.APPROVED, actor="U2", now=1)
    return made


def outbox_keys(store: Store) -> list[str]:
    return [r["dedupe_key"] for r in store.db.query("SELECT dedupe_key FROM outbox ORDER BY id")]


def test_every_recipient_is_sent_once_and_the_run_finishes_once(store):
    rid = approved(store, 5)
    heynow, clock = HeyNow(), Clock(NOON)
    run = runner(store, heynow, clock)
    run.sweep()  # starts it
    run_out(run)
    assert [c for c, _ in heynow.sent] == [f"24588{i:05d}" for i in range(5)]
    assert [t for _, t in heynow.sent] == [f"Hola {i}" for i in range(5)]  # the frozen texts
    request = store.mass.get(rid)
    assert request.state is MassState.FINISHED
    assert store.mass.progress(request).sent == 5
    keys = outbox_keys(store)
    assert f"q{rid}:summary:1" in keys
    assert any(k.startswith(f"q{rid}:note:finished:U1:1:") for k in keys)
    assert [e["kind"] for e in store.mass.events(rid)][-2:] == ["started", "finished"]


def test_a_send_not_before_is_waited_for(store):
    rid = approved(store, 2, not_before=NOON + 3600)
    heynow, clock = HeyNow(), Clock(NOON)
    run = runner(store, heynow, clock)
    run.sweep()
    run_out(run)
    assert heynow.sent == [] and store.mass.get(rid).state is MassState.APPROVED
    clock.now = NOON + 3600
    run.sweep()
    run_out(run)
    assert len(heynow.sent) == 2


def test_a_403_stops_the_run_at_once_instead_of_failing_every_recipient(store):
    rid = approved(store, 50)
    heynow = HeyNow([PermissionDenied(403, "El canal valida contactos")])
    run = runner(store, heynow, Clock(NOON))
    run.sweep()
    run_out(run)
    assert len(heynow.sent) == 1
    request = store.mass.get(rid)
    assert request.state is MassState.STOPPED and request.reason == "PermissionDenied"
    progress = store.mass.progress(request)
    assert (progress.pending, progress.failed) == (50, 0)  # the refused one did not go out


def test_failures_in_a_row_pause_the_run_by_itself(store):
    rid = approved(store, 20)
    heynow = HeyNow([NotFound(404, "")] * 10)
    run = runner(store, heynow, Clock(NOON), max_failures=3)
    run.sweep()
    run_out(run)
    assert len(heynow.sent) == 3
    request = store.mass.get(rid)
    assert request.state is MassState.PAUSED and request.pause_reason is PauseReason.FAILURES
    assert any(k.startswith(f"q{rid}:note:paused_itself:U1:1:") for k in outbox_keys(store))


def test_a_success_between_failures_keeps_it_running(store):
    rid = approved(store, 6)
    heynow = HeyNow([NotFound(404, ""), NotFound(404, ""), None, NotFound(404, ""), None, None])
    run = runner(store, heynow, Clock(NOON), max_failures=3)
    run.sweep()
    run_out(run)
    assert store.mass.get(rid).state is MassState.FINISHED


def test_a_lost_answer_is_unknown_and_never_sent_again(store):
    rid = approved(store, 3)
    heynow = HeyNow([None, DeliveryUnknown("timed out")])
    run = runner(store, heynow, Clock(NOON))
    run.sweep()
    run_out(run)
    assert len(heynow.sent) == 3
    states = [r.state for r in store.mass.report(rid)]
    assert states == [RecipientState.SENT, RecipientState.UNKNOWN, RecipientState.SENT]


def test_nothing_goes_out_in_quiet_hours_and_the_post_says_until_when(store):
    rid = approved(store, 3)
    heynow, clock = HeyNow(), Clock(NIGHT)
    quiet = QuietHours.parse("21:00-09:00", "America/Montevideo")
    run = runner(store, heynow, clock, quiet=quiet)
    run.sweep()
    run.sweep()
    run_out(run)
    assert heynow.sent == []
    request = store.mass.get(rid)
    assert request.quiet_until == datetime(2026, 12, 2, 12, 0, tzinfo=UTC).timestamp()
    assert [e["kind"] for e in store.mass.events(rid)].count("quiet_hours") == 1
    clock.now = request.quiet_until
    run.sweep()
    run_out(run)
    assert len(heynow.sent) == 3 and store.mass.get(rid).quiet_until is None


def test_a_paused_run_sends_nothing_until_resumed(store):
    rid = approved(store, 3)
    heynow = HeyNow()
    run = runner(store, heynow, Clock(NOON))
    run.sweep()
    store.mass.transition(rid, MassState.PAUSED, MassEvent.PAUSED, actor="U1", now=2)
    run_out(run)
    assert heynow.sent == []
    store.mass.transition(rid, MassState.RUNNING, MassEvent.RESUMED, actor="U1", now=3)
    run_out(run)
    assert len(heynow.sent) == 3


def test_progress_is_redrawn_once_per_slot_not_once_per_send(store):
    rid = approved(store, 30)
    clock = Clock(NOON)
    run = runner(store, HeyNow(), clock)
    run.sweep()
    run_out(run)
    clock.now += PROGRESS_SECONDS  # the slot is over: the next sweep redraws it
    run.sweep()
    run.sweep()
    progress_rows = [k for k in outbox_keys(store) if k.startswith(f"q{rid}:post:p")]
    assert len(progress_rows) == 1  # the clock stood still while it sent: one slot


def test_no_redraw_is_owed_for_later_to_hold_up_a_decision(store):
    """Seen end to end: a progress redraw owed for the end of its slot held the pause's
    redraw behind it in the post's topic, so the post said "sending" seconds after a pause."""
    rid = approved(store, 30)
    clock = Clock(NOON)
    run = runner(store, HeyNow(), clock)
    run.sweep()
    run.step()
    later = store.db.query(
        "SELECT dedupe_key FROM outbox WHERE state = 'due' AND next_attempt_at > ?", [clock.now]
    )
    assert list(later) == []
    clock.now += PROGRESS_SECONDS
    run.sweep()
    assert any(k.startswith(f"q{rid}:post:p") for k in outbox_keys(store))  # drawn, for now
