"""Mass sends end to end: the form in Slack -> the app process -> the Hey Now simulator process
-> the approval post, its thread and the CSV report at the Slack stand-in.

Tests that can share an app share one of two per worker, each with its own database and
approvals channel (`fast`: paced at 200 a second; `paced`: 5 a second, where a run must still be
going when a button is clicked). Settings that hold for a whole process (quiet hours, a tiny
expiry) and kill -9 get an app of their own. Each test's recipients are Messenger ids no other
test uses, so the simulator's request log counts one test's sends only.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.local.console import as_text
from tests.e2e.harness import APP_TEXTS, AppProcess, app_env, app_says, wait_for
from tests.e2e.massview import (
    BOSS,
    MESSENGER,
    OTHER_BOSS,
    WHATSAPP,
    MassApp,
    buttons,
    clients,
    dms,
    drawings,
    fault,
    in_thread,
    mass_calls,
    mass_env,
    new_channel,
    new_trigger,
    opened,
    reached,
    report_rows,
    reports,
    request_in,
    top_level,
    updates,
)
from tests.e2e.slackview import answer

ZONE = "America/Montevideo"


def start(tmp: Path, slack, sim, name: str, **settings: str) -> MassApp:
    approvals = new_channel()
    database = tmp / f"{name}.db"
    env = app_env(
        slack.url, sim.url, database, HEYNOW_TIMEZONE=ZONE, **mass_env(approvals, **settings)
    )
    return MassApp(AppProcess(tmp, env), slack, sim, approvals, database, env)


@pytest.fixture(scope="session")
def fast_app(tmp_path_factory, slack, sim) -> Iterator[MassApp]:
    mass = start(
        tmp_path_factory.mktemp("mass-fast"),
        slack,
        sim,
        "fast",
        HEYNOW_MASS_PLATFORMS=f"{MESSENGER}=Facebook,{WHATSAPP}",
    )
    yield mass
    mass.app.stop()


@pytest.fixture(scope="session")
def paced_app(tmp_path_factory, slack, sim) -> Iterator[MassApp]:
    mass = start(
        tmp_path_factory.mktemp("mass-paced"),
        slack,
        sim,
        "paced",
        HEYNOW_MASS_RATE="5",
        HEYNOW_MASS_MAX_FAILURES="3",
    )
    yield mass
    mass.app.stop()


@pytest.fixture
def fast(fast_app) -> Iterator[MassApp]:
    yield fast_app
    fast_app.tidy()


@pytest.fixture
def paced(paced_app) -> Iterator[MassApp]:
    yield paced_app
    paced_app.tidy()


def states(mass: MassApp, request: int) -> Counter[str]:
    return Counter(r["state"] for r in mass.recipients(request))


def settled(mass: MassApp, request: int, state: str) -> bool:
    """The request is in `state` and no recipient is still being sent."""
    return mass.state(request) == state and not states(mass, request)["sending"]


def counts(sent: int, failed: int = 0, unknown: int = 0, left: int = 0) -> str:
    return app_says(
        "mass.counts", sent=str(sent), failed=str(failed), unknown=str(unknown), remaining=str(left)
    )


def done(what: str, request: int) -> str:
    return app_says(f"mass.verdict.done.{what}", id=request)


# -- 1. the whole way ------------------------------------------------------------------------


def test_an_approved_request_sends_each_recipient_once_and_reports_it(fast, slack, sim):
    ids = clients(6)
    asker = fast.person()
    post = fast.ask(asker, recipients="\n".join(ids), text="Cerramos mañana a las 18")
    shown = as_text(post.body)
    assert f"@{asker.user}" in shown and "Facebook" in shown and "Cerramos mañana a las 18" in shown
    assert buttons(post.body["blocks"]) == ["mass_approve", "mass_reject", "mass_test"]
    wait_for(lambda: app_says("mass.note.waiting", id=post.request) in dms(slack, asker.user))
    time.sleep(0.3)
    assert mass_calls(sim, ids) == []  # nothing goes out on the asker's word alone

    assert done("approve", post.request) in fast.click(
        fast.boss(), post.body["blocks"], "mass_approve"
    )
    [report] = wait_for(lambda: reports(slack, post), timeout=10)

    calls = mass_calls(sim, ids)
    assert sorted(c["path"].rsplit("/", 1)[1] for c in calls) == ids  # each exactly once
    assert {c["path"].rsplit("/", 2)[0] for c in calls} == {"/api/masiveMessage/2"}
    assert {c["body"]["text"] for c in calls} == {"Cerramos mañana a las 18"}

    # the approval post, updated in place: one post, redrawn with the progress
    assert [p for p in top_level(slack, fast.approvals) if request_in(p) == post.request] == [
        post.body
    ]
    finished = wait_for(
        lambda: [d for d in drawings(slack, post) if app_says("mass.line.finished") in as_text(d)]
    )
    assert counts(6) in as_text(finished[-1]) and "100%" in as_text(finished[-1])
    assert buttons(finished[-1]["blocks"]) == []  # nothing failed: nothing to retry

    # the summary in its thread, then the report
    [summary] = [m for m in in_thread(slack, post) if m.get("blocks")]
    said = as_text(summary)
    assert app_says("mass.summary.head", id=post.request, round=1) in said
    assert counts(6) in said
    name = app_says("mass.report.file_name", id=post.request, round=1)
    assert [c.body["filename"] for c in slack.of("files.getUploadURLExternal")].count(name) == 1
    completed = [
        c.body
        for c in slack.of("files.completeUploadExternal")
        if c.body.get("thread_ts") == post.ts
    ]
    assert len(completed) == 1 and completed[0]["channel_id"] == fast.approvals
    assert report["name"] == name

    rows = report_rows(report)
    held = {m["id"]: m for m in sim.messages()}
    assert [r["client"] for r in rows] == ids
    assert {r["outcome"] for r in rows} == {app_says("mass.report.outcome.sent")}
    for row in rows:
        message = held[row["idMessageHey"]]  # a message the simulator holds ...
        assert message["client_id"] == row["client"]  # ... for that client
        assert message["kind"] == "masiveMessage" and message["text"] == "Cerramos mañana a las 18"
    assert len({r["idMessageHey"] for r in rows}) == 6

    notes = dms(slack, asker.user)
    assert app_says("mass.note.approved", id=post.request, by=f"<@{BOSS}>") in notes
    assert wait_for(
        lambda: app_says("mass.note.finished", id=post.request) in dms(slack, asker.user)
    )


# -- 2. a spreadsheet's CSV ----------------------------------------------------------------


def test_a_windows_1252_csv_with_semicolons_fills_the_placeholders(fast, slack, sim):
    ana, beto = clients(2)
    data = (
        f"Nombre;Teléfono;Pedido\r\nMartín Pérez;{ana};A-1\r\nSofía Ñandú;{beto};B-2\r\n"
    ).encode("cp1252")
    file = slack.add_file("clientes.csv", data, slack.url)
    asker = fast.person()
    post = fast.ask(asker, file=file, text="Hola {nombre}, tu pedido {pedido} está listo")
    assert any(c.body == {"file": file["id"]} for c in slack.of("files.download"))
    shown = as_text(post.body)
    assert "Hola Martín Pérez, tu pedido A-1 está listo" in shown  # the samples, as they will read

    fast.click(fast.boss(1), post.body["blocks"], "mass_approve")
    wait_for(lambda: len(reached(sim, [ana, beto])) == 2)
    texts = {m["client_id"]: m["text"] for m in reached(sim, [ana, beto])}
    assert texts == {
        ana: "Hola Martín Pérez, tu pedido A-1 está listo",
        beto: "Hola Sofía Ñandú, tu pedido B-2 está listo",
    }
    wait_for(lambda: fast.state(post.request) == "finished")
    assert len(mass_calls(sim, [ana, beto])) == 2


# -- 3. four eyes ------------------------------------------------------------------------------


def test_only_another_approver_approves_and_two_at_once_send_once(fast, slack, sim):
    ids = clients(4)
    asker = fast.person()
    post = fast.ask(asker, recipients=", ".join(ids))
    blocks = post.body["blocks"]
    stranger = fast.person(channel=fast.approvals)
    assert app_says("mass.verdict.not_approver") in fast.click(stranger, blocks, "mass_approve")
    assert app_says("mass.verdict.not_approver") in fast.click(asker, blocks, "mass_approve")

    own_ids = clients(2)
    boss = fast.boss(0)
    own = fast.ask(boss, recipients="\n".join(own_ids))
    said = fast.click(boss, own.body["blocks"], "mass_approve")
    assert app_says("mass.verdict.own_request") in said
    assert fast.state(post.request) == fast.state(own.request) == "pending"

    bosses = [fast.boss(0), fast.boss(1)]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda b: fast.click(b, blocks, "mass_approve"), bosses))
    assert sum(done("approve", post.request) in a for a in answers) == 1, answers
    assert sum(":information_source:" in a for a in answers) == 1, answers  # nothing changed

    wait_for(lambda: fast.state(post.request) == "finished")
    time.sleep(0.5)
    assert sorted(c["path"].rsplit("/", 1)[1] for c in mass_calls(sim, ids)) == ids
    history = answer(slack, asker, f"mass show {post.request}")
    approvals = [app_says("mass.event.approved", when="", who=f"@{b}") for b in (BOSS, OTHER_BOSS)]
    assert sum(history.count(line) for line in approvals) == 1  # decided once
    assert mass_calls(sim, own_ids) == [] and fast.state(own.request) == "pending"


# -- 4. a rejection ----------------------------------------------------------------------------


def test_a_rejection_with_its_reason_reaches_the_requester_and_sends_nothing(fast, slack, sim):
    ids = clients(3)
    asker = fast.person()
    post = fast.ask(asker, recipients="\n".join(ids))
    boss = fast.boss()
    trigger = new_trigger()
    fast.press(boss, post.body["blocks"], "mass_reject", trigger)
    [form] = wait_for(lambda: opened(slack, trigger))
    assert form["callback_id"] == "heynow_mass_reject"
    reason = "Wrong list: these are <Tuesday's> clients & not today's"
    typed = {"reason": {"value": {"type": "plain_text_input", "value": reason}}}
    assert fast.submit(boss, form, typed) is None

    escaped = reason.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    note = app_says("mass.note.rejected", id=post.request, by=f"<@{BOSS}>", reason=escaped)
    wait_for(lambda: note in dms(slack, asker.user))
    drawn = wait_for(lambda: drawings(slack, post))
    assert app_says("mass.line.rejected", reason=reason) in as_text(drawn[-1])
    assert buttons(drawn[-1]["blocks"]) == []
    assert fast.state(post.request) == "rejected"
    late = fast.click(fast.boss(1), post.body["blocks"], "mass_approve")  # the old post's button
    assert late == app_says(
        "mass.verdict.too_late", id=post.request, state=app_says("mass.state.rejected")
    )
    time.sleep(0.6)
    assert mass_calls(sim, ids) == []


# -- 5. a test send ----------------------------------------------------------------------------


def test_send_me_a_test_sends_the_first_text_to_the_number_typed(fast, slack, sim):
    first, second = clients(2)
    data = f"id,nombre\n{first},Ana\n{second},Beto\n".encode()
    file = slack.add_file("lista.csv", data, slack.url)
    asker = fast.person()
    post = fast.ask(asker, file=file, text="Hola {nombre}, es una prueba")
    [mine] = clients(1)
    trigger = new_trigger()
    fast.press(asker, post.body["blocks"], "mass_test", trigger)
    [form] = wait_for(lambda: opened(slack, trigger))
    assert form["callback_id"] == "heynow_mass_test"
    typed = {"client": {"value": {"type": "plain_text_input", "value": f" {mine} "}}}
    assert fast.submit(asker, form, typed) is None

    [test] = wait_for(lambda: reached(sim, [mine]))
    assert test["text"] == "Hola Ana, es una prueba" and test["kind"] == "masiveMessage"
    told = app_says("mass.verdict.done.test", client=mine, hey_id=test["id"])
    wait_for(lambda: told in dms(slack, asker.user))
    history = answer(slack, asker, f"mass show {post.request}")
    assert app_says("mass.event.test_sent", when="", who=f"@{asker.user}") in history
    assert mass_calls(sim, [first, second]) == [] and fast.state(post.request) == "pending"


# -- 6. pause, resume, cancel ----------------------------------------------------------------


def test_pause_resume_and_cancel_hold_the_run_where_it_is(paced, slack, sim):
    ids = clients(40)
    asker = paced.person()
    post = paced.ask(asker, recipients="\n".join(ids))
    boss = paced.boss()
    paced.click(boss, post.body["blocks"], "mass_approve")
    wait_for(lambda: len(mass_calls(sim, ids)) >= 3)

    said = paced.click(asker, paced.shown_with(post, "mass_pause"), "mass_pause")
    assert done("pause", post.request) in said
    blocks = paced.shown_with(post, "mass_resume")
    assert app_says("mass.line.paused.person") in as_text({"blocks": blocks})
    wait_for(lambda: settled(paced, post.request, "paused"))
    paused_at = len(mass_calls(sim, ids))
    assert paused_at < 40
    time.sleep(0.8)  # four sends' time at 5 a second
    assert len(mass_calls(sim, ids)) == paused_at  # nothing more while paused
    shown = counts(paused_at, left=40 - paused_at)  # as it stands, a send in flight included
    wait_for(lambda: any(shown in u for u in updates(slack, post)), timeout=5)

    assert done("resume", post.request) in paced.click(boss, blocks, "mass_resume")
    wait_for(lambda: len(mass_calls(sim, ids)) >= paused_at + 3)
    said = paced.click(boss, paced.shown_with(post, "mass_pause"), "mass_cancel")
    assert done("cancel", post.request) in said
    wait_for(lambda: settled(paced, post.request, "cancelled"))
    sent = len(mass_calls(sim, ids))
    time.sleep(0.8)
    assert len(mass_calls(sim, ids)) == sent < 40  # nothing more after the cancel

    recorded = paced.recipients(post.request)
    assert Counter(r["state"] for r in recorded) == {"sent": sent, "pending": 40 - sent}
    held = {m["client_id"]: m["id"] for m in reached(sim, ids)}
    assert {r["client_id"]: r["id_message_hey"] for r in recorded if r["state"] == "sent"} == held
    last = wait_for(
        lambda: [u for u in updates(slack, post) if app_says("mass.line.cancelled") in u]
    )
    assert counts(sent, left=40 - sent) in last[-1]
    notes = dms(slack, asker.user)
    assert app_says("mass.note.resumed", id=post.request, by=f"<@{BOSS}>") in notes
    assert wait_for(
        lambda: (
            app_says("mass.note.cancelled", id=post.request, by=f"<@{BOSS}>")
            in dms(slack, asker.user)
        )
    )


# -- 10. the run pauses itself ------------------------------------------------------------------


def test_refusals_in_a_row_pause_the_run_until_an_approver_resumes_it(paced, slack, sim):
    ids = clients(8)
    fault(sim, ids[0][:-3], status=404, count=3)  # this test's clients, the first three sends
    asker = paced.person()
    post = paced.ask(asker, recipients="\n".join(ids))
    paced.click(paced.boss(), post.body["blocks"], "mass_approve")
    wait_for(lambda: settled(paced, post.request, "paused"))
    time.sleep(0.6)
    assert len(mass_calls(sim, ids)) == 3 and reached(sim, ids) == []

    blocks = paced.shown_with(post, "mass_resume")
    why = app_says("mass.failure.NotFound")  # the failure in words, not Hey Now's error's name
    assert app_says("mass.line.paused.failures", error=why) in as_text({"blocks": blocks})
    note = app_says("mass.note.paused_itself", id=post.request, error=why)
    wait_for(lambda: note in dms(slack, asker.user))

    assert app_says("mass.verdict.not_approver") in paced.click(asker, blocks, "mass_resume")
    assert paced.state(post.request) == "paused"
    assert done("resume", post.request) in paced.click(paced.boss(1), blocks, "mass_resume")
    [report] = wait_for(lambda: reports(slack, post), timeout=10)
    assert states(paced, post.request) == {"sent": 5, "failed": 3}
    assert len(mass_calls(sim, ids)) == 8 and len(reached(sim, ids)) == 5
    rows = report_rows(report)
    assert [r["reason"] for r in rows[:3]] == [why] * 3
    [summary] = [m for m in in_thread(slack, post) if m.get("blocks")]
    assert APP_TEXTS.plural("mass.summary.failure", 3, reason=why) in as_text(summary)


# -- 11. a platform that refuses mass sends --------------------------------------------------


def test_a_403_stops_the_run_at_the_first_send(fast, slack, sim):
    numbers = ["59891000001", "59891000002", "59891000004", "59891000005"]
    asker = fast.person()
    since = time.time()
    post = fast.ask(
        asker, recipients="091000001\n091 000 002\n+598 91 000 004\n091000005", platform=WHATSAPP
    )
    fast.click(fast.boss(), post.body["blocks"], "mass_approve")
    wait_for(lambda: fast.state(post.request) == "stopped")
    time.sleep(0.8)
    calls = [c for c in mass_calls(sim, numbers) if c["at"] >= since]
    assert len(calls) == 1 and calls[0]["path"].startswith("/api/masiveMessage/1/59899000001/")
    drawn = wait_for(
        lambda: [u for u in updates(slack, post) if app_says("mass.line.stopped") in u]
    )
    assert drawn
    wait_for(lambda: app_says("mass.note.stopped", id=post.request) in dms(slack, asker.user))
    assert states(fast, post.request) == {"pending": 4}  # the refused one did not go out


# -- 12. retry the failed -------------------------------------------------------------------------


def test_retry_the_failed_sends_them_alone_and_reports_round_two(fast, slack, sim):
    ids = clients(8)
    fault(sim, ids[1], status=404)
    fault(sim, ids[5], status=404)
    fault(sim, ids[3], status=500)  # Hey Now may have sent it: unknown, never sent again
    asker = fast.person()
    post = fast.ask(asker, recipients="\n".join(ids))
    fast.click(fast.boss(), post.body["blocks"], "mass_approve")
    [first] = wait_for(lambda: reports(slack, post), timeout=10)
    outcomes = {r["client"]: r["outcome"] for r in report_rows(first)}
    sent, failed, unknown = (
        app_says(f"mass.report.outcome.{s}") for s in ("sent", "failed", "unknown")
    )
    assert [outcomes[c] for c in ids] == [sent, failed, sent, unknown, sent, failed, sent, sent]

    blocks = fast.shown_with(post, "mass_retry")
    assert app_says("mass.verdict.not_approver") in fast.click(asker, blocks, "mass_retry")
    assert done("retry", post.request) in fast.click(fast.boss(1), blocks, "mass_retry")
    wait_for(lambda: len(reports(slack, post)) == 2, timeout=10)
    second = reports(slack, post)[1]
    assert second["name"] == app_says("mass.report.file_name", id=post.request, round=2)
    again = Counter(c["path"].rsplit("/", 1)[1] for c in mass_calls(sim, ids))
    assert again == {c: 2 if c in (ids[1], ids[5]) else 1 for c in ids}
    outcomes = {r["client"]: r["outcome"] for r in report_rows(second)}
    assert [outcomes[c] for c in ids] == [sent] * 3 + [unknown] + [sent] * 4
    summaries = [as_text(m) for m in in_thread(slack, post) if m.get("blocks")]
    assert len(summaries) == 2
    assert app_says("mass.summary.head", id=post.request, round=2) in summaries[1]
    assert counts(7, unknown=1) in summaries[1]


# -- 7. kill -9 mid-run ----------------------------------------------------------------------


def kill(app: AppProcess) -> None:
    app.popen.kill()  # SIGKILL: no clean-up of any kind
    app.popen.wait()
    app.stop()


def test_a_kill_mid_run_resumes_on_restart_and_sends_no_one_twice(tmp_path, slack, sim):
    ids = clients(40)
    fault(sim, ids[0][:-3], delay=0.4, count=1000)  # each send of this test takes 0.4 s
    mass = start(tmp_path, slack, sim, "killed", HEYNOW_MASS_RATE="100")
    asker = mass.person()
    post = mass.ask(asker, recipients="\n".join(ids))
    mass.click(mass.boss(), post.body["blocks"], "mass_approve")
    wait_for(lambda: len(mass_calls(sim, ids)) >= 12)
    kill(mass.app)
    mass.restart()
    try:
        wait_for(lambda: mass.state(post.request) == "finished", timeout=20)
        [report] = wait_for(lambda: reports(slack, post), timeout=10)
        per_client = Counter(c["path"].rsplit("/", 1)[1] for c in mass_calls(sim, ids))
        assert set(per_client) <= set(ids) and max(per_client.values()) == 1  # none twice
        recorded = mass.recipients(post.request)
        ended = Counter(r["state"] for r in recorded)
        assert set(ended) <= {"sent", "failed", "unknown"}, ended
        assert 1 <= ended["unknown"] <= 8, ended  # at most the 8 runners' sends in flight
        # A send cut off before its request left never reached Hey Now: it is unknown (the
        # app cannot tell), never lost and never sent again.
        unknown = {r["client_id"] for r in recorded if r["state"] == "unknown"}
        assert set(ids) - set(per_client) <= unknown
        held = {m["id"]: m["client_id"] for m in reached(sim, ids)}
        for r in recorded:
            assert r["state"] != "sent" or held[r["id_message_hey"]] == r["client_id"]
        rows = report_rows(report)
        assert [r["client"] for r in rows] == ids  # the report accounts for all
        assert Counter(r["outcome"] for r in rows) == {
            app_says(f"mass.report.outcome.{state}"): n for state, n in ended.items()
        }
        assert len(top_level(slack, mass.approvals)) == 1  # the same post, redrawn
    finally:
        mass.app.stop()


# -- 8. expiry -------------------------------------------------------------------------------


def test_an_undecided_request_expires_and_a_late_approval_changes_nothing(tmp_path, slack, sim):
    mass = start(tmp_path, slack, sim, "expiry", HEYNOW_APPROVAL_EXPIRY_HOURS="0.0003")
    try:
        ids = clients(3)
        asker = mass.person()
        post = mass.ask(asker, recipients="\n".join(ids))
        wait_for(lambda: [u for u in updates(slack, post) if app_says("mass.line.expired") in u])
        assert buttons(drawings(slack, post)[-1]["blocks"]) == []
        wait_for(lambda: app_says("mass.note.expired", id=post.request) in dms(slack, asker.user))
        late = mass.click(mass.boss(), post.body["blocks"], "mass_approve")
        assert late == app_says(
            "mass.verdict.too_late", id=post.request, state=app_says("mass.state.expired")
        )
        time.sleep(0.5)
        assert mass.state(post.request) == "expired" and mass_calls(sim, ids) == []
    finally:
        mass.app.stop()


# -- 9. quiet hours ------------------------------------------------------------------------------


def test_inside_quiet_hours_an_approved_run_waits_and_says_until_when(tmp_path, slack, sim):
    now = datetime.now(ZoneInfo(ZONE))
    begin, end = now - timedelta(hours=1), now + timedelta(hours=1)
    until = end.replace(second=0, microsecond=0).timestamp()
    mass = start(tmp_path, slack, sim, "quiet", HEYNOW_QUIET_HOURS=f"{begin:%H:%M}-{end:%H:%M}")
    try:
        ids = clients(3)
        asker = mass.person()
        post = mass.ask(asker, recipients="\n".join(ids))
        mass.click(mass.boss(), post.body["blocks"], "mass_approve")
        line = app_says("mass.line.quiet", until=APP_TEXTS.when(until))
        wait_for(lambda: [u for u in updates(slack, post) if line in u])
        time.sleep(1.0)  # the runners' turns come every second when idle
        assert mass_calls(sim, ids) == [] and mass.state(post.request) == "running"
        assert states(mass, post.request) == {"pending": 3}
    finally:
        mass.app.stop()
