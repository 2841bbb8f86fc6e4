"""Mass sends in process: the form and its checks, four-eyes approval, the run, the report,
the opt-out list. Hey Now is the embedded simulator: Messenger 104857600123456 does not
validate contacts, WhatsApp 59899000001 does."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from bot.app import Runtime
from bot.domain import MassState
from bot.i18n import Texts
from bot.local.standin import SlackStandIn
from tests.listeners.harness import Slack, wait_for

EN = Texts.of("en")
APPROVALS = "C0APPROVE"
BOSS, OTHER_BOSS = "U0BOSS", "U0BOSS2"
MESSENGER = "2:104857600123456"
RECIPIENTS = "2458811223344556, 2458811223344557\n2458811223344558"


@pytest.fixture
def runtime(make_runtime) -> Runtime:
    return make_runtime(
        HEYNOW_APPROVALS_CHANNEL=APPROVALS,
        HEYNOW_APPROVERS=f"{BOSS} {OTHER_BOSS}",
        HEYNOW_MASS_PLATFORMS=f"{MESSENGER}=Facebook,1:59899000001",
        HEYNOW_MASS_RATE="500",
    )


def person(runtime: Runtime, standin: SlackStandIn, user: str, channel: str) -> Slack:
    return Slack(runtime, standin, standin.url, user=user, channel=channel)  # type: ignore[attr-defined]


def opened_form(slack: Slack) -> dict[str, Any]:
    ack = slack.command("mass")
    assert ack.status == 200 and ack.body == ""
    view = wait_for(lambda: slack.opened_views(ack.trigger))[0]
    assert view["callback_id"] == "heynow_mass_form"
    return slack.as_slack_holds_it(view)


def mass_values(
    recipients: str = RECIPIENTS,
    text: str = "Cerramos mañana",
    platform: str = MESSENGER,
    file: dict[str, Any] | None = None,
    not_before: int | None = None,
) -> dict[str, Any]:
    return {
        "platform": {"value": {"type": "static_select", "selected_option": {"value": platform}}},
        "recipients": {"value": {"type": "plain_text_input", "value": recipients}},
        "file": {"value": {"type": "file_input", "files": [file] if file else []}},
        "text": {"value": {"type": "plain_text_input", "value": text}},
        "not_before": {"value": {"type": "datetimepicker", "selected_date_time": not_before}},
    }


def approval_post(slack: Slack) -> dict[str, Any]:
    return wait_for(lambda: slack.posts(APPROVALS))[0]


def button(post: dict[str, Any], action_id: str) -> tuple[dict[str, Any], str]:
    for block in post["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element, block["block_id"]
    raise AssertionError(f"no {action_id} button in {post['blocks']}")


def click(slack: Slack, post: dict[str, Any], action_id: str) -> str:
    element, block_id = button(post, action_id)
    ack = slack.click(element, block_id=block_id)
    assert ack.status == 200
    return slack.response(ack.ref)["text"]


def mass_sends(sim) -> list[dict[str, Any]]:
    return [r for r in sim.requests() if r["path"].startswith("/api/masiveMessage/")]


def requested(slack: Slack, **values: Any) -> dict[str, Any]:
    ack = slack.submit(opened_form(slack), mass_values(**values))
    assert ack.status == 200 and ack.json is None, ack.body  # the form closes
    return approval_post(slack)


def test_a_request_waits_for_an_approver_then_runs_and_reports(slack, standin, sim, runtime):
    post = requested(slack)
    shown = json.dumps(post["blocks"], ensure_ascii=False)
    assert f"<@{slack.user}>" in shown, shown
    assert "Facebook" in shown, shown
    assert "Cerramos mañana" in shown, shown
    assert [b["action_id"] for b in button_row(post)] == [
        "mass_approve",
        "mass_reject",
        "mass_test",
    ]
    assert mass_sends(sim) == []  # nothing goes out on one person's click
    boss = person(runtime, standin, BOSS, APPROVALS)
    assert click(boss, post, "mass_approve") == EN("mass.verdict.done.approve", id=1)
    sent = wait_for(lambda: len(mass_sends(sim)) == 3 and mass_sends(sim))
    assert sorted(r["path"].rsplit("/", 1)[1] for r in sent) == [
        "2458811223344556",
        "2458811223344557",
        "2458811223344558",
    ]
    assert {r["body"]["text"] for r in sent} == {"Cerramos mañana"}
    request = wait_for(lambda: finished(runtime, 1))
    assert request.decided_by == BOSS
    report = wait_for(lambda: uploaded(standin))
    rows = list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))
    assert rows[0][:3] == ["position", "client", "outcome"] and len(rows) == 4
    assert {row[2] for row in rows[1:]} == {"sent"}
    kinds = [e["kind"] for e in runtime.store.mass.events(1)]
    assert kinds == ["requested", "approved", "started", "finished"]
    notes = [
        c.body["text"]
        for c in standin.of("chat.postMessage")
        if c.body.get("channel") == slack.user
    ]
    assert any("waits for an approver" in n for n in notes)
    assert any("was approved by" in n for n in notes)


def button_row(post: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]


def finished(runtime: Runtime, request_id: int):
    request = runtime.store.mass.get(request_id)
    return request if request and request.state is MassState.FINISHED else None


def uploaded(standin: SlackStandIn) -> str | None:
    done = [f for f in standin.files.values() if f["shares"] and str(f["name"]).endswith(".csv")]
    return done[0]["data"].decode("utf-8") if done else None


def test_a_non_approver_and_the_requester_cannot_approve(slack, standin, sim, runtime):
    post = requested(slack)
    stranger = person(runtime, standin, "U0NOBODY", APPROVALS)
    assert click(stranger, post, "mass_approve") == EN("mass.verdict.not_approver")
    assert click(slack, post, "mass_approve") == EN("mass.verdict.not_approver")
    assert runtime.store.mass.get(1).state is MassState.PENDING and mass_sends(sim) == []


def test_an_approver_may_not_approve_their_own_request(slack, standin, sim, runtime):
    boss = person(runtime, standin, BOSS, "C0BOSSDESK")
    post = requested(boss)
    assert click(boss, post, "mass_approve") == EN("mass.verdict.own_request")
    assert runtime.store.mass.get(1).state is MassState.PENDING
    other = person(runtime, standin, OTHER_BOSS, APPROVALS)
    assert click(other, post, "mass_approve") == EN("mass.verdict.done.approve", id=1)


def test_a_double_approval_sends_once(slack, standin, sim, runtime):
    post = requested(slack)
    boss, other = (person(runtime, standin, u, APPROVALS) for u in (BOSS, OTHER_BOSS))
    first = click(boss, post, "mass_approve")
    second = click(other, post, "mass_approve")
    assert first == EN("mass.verdict.done.approve", id=1)
    assert second.startswith(":information_source:")  # nothing changed
    wait_for(lambda: finished(runtime, 1))
    assert len(mass_sends(sim)) == 3


def test_a_rejection_asks_why_and_tells_the_requester(slack, standin, sim, runtime):
    post = requested(slack)
    boss = person(runtime, standin, BOSS, APPROVALS)
    element, block_id = button(post, "mass_reject")
    ack = boss.click(element, block_id=block_id)
    form = wait_for(lambda: boss.opened_views(ack.trigger))[0]  # the reject form, for this click
    assert form["callback_id"] == "heynow_mass_reject"
    view = boss.as_slack_holds_it(form)
    done = boss.submit(
        view, {"reason": {"value": {"type": "plain_text_input", "value": "Wrong date"}}}
    )
    assert done.json is None
    assert runtime.store.mass.get(1).state is MassState.REJECTED
    note = wait_for(
        lambda: [
            c.body["text"]
            for c in standin.of("chat.postMessage")
            if c.body.get("channel") == slack.user and "rejected" in c.body["text"]
        ]
    )
    assert "Wrong date" in note[0]
    assert mass_sends(sim) == []


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        (
            {"recipients": "091000001, hola, 091 000 002", "platform": "1:59899000001"},
            "recipients",
            "1 recipient cannot be used; fix or remove it: line 1 “hola” (not a phone number)",
        ),
        ({"recipients": ""}, "recipients", "Paste the recipients or add a file"),
        ({"text": "Hola {pedido}"}, "text", "No column is called pedido"),
        ({"text": "Hola {a.b}"}, "text", "is not a placeholder"),
        ({"platform": "3:1460000000000000001"}, "platform", "Choose the platform"),
    ],
)
def test_problems_come_back_under_their_fields_and_nothing_is_stored(
    slack, sim, runtime, values, field, says
):
    ack = slack.submit(opened_form(slack), mass_values(**values))
    assert ack.json["response_action"] == "errors"
    assert says in ack.json["errors"][field], ack.json["errors"]
    assert runtime.store.mass.listing() == [] and mass_sends(sim) == []


def test_a_windows_1252_csv_with_semicolons_is_read(slack, standin, sim, runtime):
    data = "nombre;teléfono;pedido\r\nMartín Pérez;2458811223344556;A-1\r\nSofía;2458811223344557;B-2\r\n".encode(
        "cp1252"
    )
    file = standin.add_file("clientes.csv", data, standin.url)  # type: ignore[attr-defined]
    requested(slack, recipients="", file=file, text="Hola {nombre}, tu pedido {pedido} está listo")
    texts = sorted(r.text for r in runtime.store.mass.report(1))
    assert texts == [
        "Hola Martín Pérez, tu pedido A-1 está listo",
        "Hola Sofía, tu pedido B-2 está listo",
    ]


def test_opted_out_numbers_are_left_out_and_counted(slack, standin, sim, runtime):
    said = slack.answer(f"optout add {MESSENGER} 2458811223344557")
    assert "1 added to the opt-out list" in said
    post = requested(slack)
    assert "1 on the opt-out list" in json.dumps(post["blocks"], ensure_ascii=False)
    assert [r.client_id for r in runtime.store.mass.report(1)] == [
        "2458811223344556",
        "2458811223344558",
    ]
    assert "2458811223344557" in slack.answer(f"optout list {MESSENGER}")


def test_a_single_send_to_an_opted_out_number_warns(slack, runtime):
    slack.answer("optout add 091000001")
    ack = slack.command("send 091000001 hola")
    assert EN("mass.optout.warning", client="59891000001") in ack.body


def test_only_an_approver_takes_a_number_off_the_list(slack, standin, runtime):
    slack.answer("optout add 091000001")
    assert slack.answer("optout remove 091000001") == ":warning: " + EN("mass.optout.not_allowed")
    boss = person(runtime, standin, BOSS, "C0BOSSDESK")
    assert "1 taken off the opt-out list" in boss.answer("baja quitar 091000001")


def test_the_list_and_the_history_are_shown_to_the_requester_and_approvers_only(
    slack, standin, runtime
):
    requested(slack)
    assert "`#1`" in slack.answer("mass list")
    assert EN("mass.event.requested", when="", who="")[:2] in slack.answer("mass show 1")
    stranger = person(runtime, standin, "U0NOBODY", "C0ELSE")
    assert "`#1`" not in stranger.answer("mass list")
    assert stranger.answer("mass show 1") == ":warning: " + EN("mass.not_yours", id=1)
    boss = person(runtime, standin, BOSS, "C0BOSSDESK")
    assert "`#1`" in boss.answer("masivo lista")


def test_mass_sends_are_refused_in_words_where_they_are_not_set_up(make_runtime, standin):
    runtime = make_runtime(database="plain.db")
    slack = Slack(runtime, standin, standin.url)  # type: ignore[attr-defined]
    ack = slack.command("mass")
    assert slack.response(ack.ref)["text"] == ":warning: " + EN("mass.unavailable")


def test_a_file_from_anywhere_but_slack_is_not_fetched_with_the_token(slack, standin, runtime):
    forged = {"id": "F0FORGED", "name": "x.csv", "url_private_download": "http://127.0.0.1:9/steal"}
    ack = slack.submit(opened_form(slack), mass_values(recipients="", file=forged))
    assert ack.json["errors"]["file"] == EN("mass.problem.file.download_failed")
    assert runtime.store.mass.listing() == []


def test_only_senders_read_or_add_to_the_opt_out_list(make_runtime, standin):
    runtime = make_runtime(database="senders.db", HEYNOW_SENDERS="U0ONLYHER")
    stranger = Slack(runtime, standin, standin.url)  # type: ignore[attr-defined]
    said = stranger.answer("optout add 091000001")
    assert said.startswith(":warning:") and "@U0ONLYHER" in said  # as_text shows mentions so
    assert runtime.store.mass.opted_out(1) == set()


def test_the_global_shortcut_opens_the_mass_form(slack):
    ack = slack.interact({"type": "shortcut", "callback_id": "heynow_mass"})
    assert ack.status == 200
    view = wait_for(lambda: slack.opened_views(ack.trigger))[0]
    assert view["callback_id"] == "heynow_mass_form"
    choices = view["blocks"][0]["element"]["options"]
    assert [o["value"] for o in choices] == [MESSENGER, "1:59899000001"]  # the mass platforms only


def test_the_global_shortcut_tells_a_non_sender_why_in_a_dm(make_runtime, standin):
    runtime = make_runtime(
        database="shortcut.db",
        HEYNOW_SENDERS="U0ONLYHER",
        HEYNOW_APPROVALS_CHANNEL=APPROVALS,
        HEYNOW_APPROVERS=BOSS,
        HEYNOW_MASS_PLATFORMS=MESSENGER,
    )
    slack = Slack(runtime, standin, standin.url)  # type: ignore[attr-defined]
    ack = slack.interact({"type": "shortcut", "callback_id": "heynow_mass"})
    assert slack.opened_views(ack.trigger) == []
    told = wait_for(
        lambda: [c for c in standin.of("chat.postMessage") if c.body.get("channel") == slack.user]
    )
    assert "<@U0ONLYHER>" in told[0].body["text"]


def test_a_number_opted_out_after_a_send_is_warned_about_at_the_next(slack, runtime):
    first = slack.command("send 091000001 hola")  # the opt-out list is read (and kept) here
    assert "opt-out" not in first.body
    slack.answer("optout add 091000001")
    again = slack.command("send 091000001 hola otra vez")
    assert EN("mass.optout.warning", client="59891000001") in again.body
