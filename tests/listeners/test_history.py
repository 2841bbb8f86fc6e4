"""`/heynow history` in process: senders see their own messages, approvers everyone's (and may
name a person), a sender naming someone else is refused in the ack; `--csv` acks at once and
the file arrives in the asker's DM, in their language."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from bot.app import Runtime
from bot.i18n import Texts
from bot.local.standin import SlackStandIn
from tests.listeners.harness import Slack, wait_for

EN, ES = Texts.of("en"), Texts.of("es")
BOSS = "U0BOSS"
# Slack's es-ES: Babel's es_ES writes decimals with a comma, so lists take `;` (es-LA is es_419,
# whose decimal mark is a point: its lists take `,`, as bot.slack.mass_report's do).
SPANISH = {"locale": "es-ES", "tz": "America/Montevideo"}


@pytest.fixture
def runtime(make_runtime) -> Runtime:
    return make_runtime(HEYNOW_APPROVERS=BOSS)


def person(runtime: Runtime, standin: SlackStandIn, user: str) -> Slack:
    return Slack(runtime, standin, standin.url, user=user)  # type: ignore[attr-defined]


def sent(slack: Slack, runtime: Runtime, client: str, text: str) -> None:
    """Send, and wait until Hey Now took it."""
    said = slack.command(f"send {client} {text}").text
    assert said.startswith(":outbox_tray:"), said

    def taken() -> bool:
        rows = runtime.store.messages.recent_for_user(slack.team, slack.user)
        return any(m.text == text and m.send_state == "sent" for m in rows)

    wait_for(taken)


@pytest.fixture
def two_senders(slack, standin, runtime) -> Slack:
    """The test's person sent to Ana (091000001); another sent to Bruno (091000002)."""
    other = person(runtime, standin, "U0OTHER00")
    sent(slack, runtime, "091000001", "mine to Ana")
    sent(other, runtime, "091000002", "theirs to Bruno")
    return other


def uploaded(standin: SlackStandIn) -> list[dict[str, Any]]:
    return [f for f in standin.files.values() if f["shares"]]


def test_a_sender_sees_their_own_messages_only(slack, two_senders):
    shown = slack.answer("history")
    assert "mine to Ana" in shown and "theirs to Bruno" not in shown
    assert shown.startswith("*Your messages* · last 7 days")
    assert "sent by" not in shown


def test_an_approver_sees_everyone_s_and_may_name_one_person(slack, standin, runtime, two_senders):
    boss = person(runtime, standin, BOSS)
    everyone = boss.answer("history")
    assert "mine to Ana" in everyone and "theirs to Bruno" in everyone
    assert f"sent by @{slack.user}" in everyone and "sent by @U0OTHER00" in everyone
    one = boss.answer(f"history <@{slack.user}|agent> --days 2")
    assert "mine to Ana" in one and "theirs to Bruno" not in one
    assert one.startswith(f"*Messages sent by @{slack.user}* · last 2 days")
    to_bruno = boss.answer("history 091 000 002")
    assert "theirs to Bruno" in to_bruno and "mine to Ana" not in to_bruno


def test_a_client_filter_stays_within_what_a_sender_may_see(slack, two_senders):
    assert "Nothing was sent in that time." in slack.answer("history +598 91 000 002")
    assert "mine to Ana" in slack.answer("history 59891000001")


def test_a_sender_naming_someone_else_is_refused_in_plain_words(slack, runtime, two_senders):
    refusal = EN("history.not_allowed", user="<@U0OTHER00>")
    for typed in ("history <@U0OTHER00>", "history <@U0OTHER00|them> --csv"):
        ack = slack.command(typed)
        assert ack.json["text"] == refusal
        assert ack.json["blocks"][0]["text"]["text"] == f":warning: {refusal}"
        assert slack.responses(ack.ref) == []
    assert all(row["kind"] != "history_csv" for row in runtime.store.outbox.pending())


@pytest.mark.parametrize("typed", ["history --days 91", "history --days 0", "history --days two"])
def test_days_out_of_range_are_refused_in_the_ack(slack, typed):
    ack = slack.command(typed)
    assert ack.json["text"] == EN("command.history_days", option="--days", max=90)
    assert slack.responses(ack.ref) == []


def test_the_file_arrives_in_the_asker_s_dm_with_every_message(
    slack, standin, runtime, two_senders
):
    ack = slack.command("history --csv")
    assert ack.body == EN("history.csv.coming")
    [file] = wait_for(lambda: uploaded(standin))
    assert file["shares"][0]["channel"] == slack.user  # the stand-in's DM with them
    assert file["shares"][0]["comment"] == "1 message in the file, newest first."
    assert str(file["name"]).startswith("heynow-history-") and file["name"].endswith(".csv")
    rows = list(csv.reader(io.StringIO(file["data"].decode("utf-8").removeprefix("\ufeff"))))
    assert rows[0][:3] == ["date", "sender", "platform"] and len(rows) == 2
    assert rows[1][1:6] == [
        slack.user,
        "WhatsApp 59899000001",
        "59891000001",
        "Ana Pérez",
        "mine to Ana",
    ]
    assert rows[1][6] == "Sent"
    opened = [c for c in standin.of("conversations.open") if c.body.get("users") == slack.user]
    assert opened, "the file goes to the DM, opened with conversations.open"


def test_in_spanish_historial_dias_csv(slack, standin, runtime):
    standin.people[slack.user] = SPANISH
    sent(slack, runtime, "091000001", "hola; Ana")
    ack = slack.command("historial --dias 3 --csv")
    assert ack.body == ES("history.csv.coming")
    [file] = wait_for(lambda: uploaded(standin))
    assert str(file["name"]).startswith("heynow-historial-")
    assert file["title"] == "Tus mensajes · últimos 3 días"
    content = file["data"].decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["fecha", "quién envió", "plataforma"]
    assert rows[1][5] == "hola; Ana" and rows[1][6] == "Enviado"
    assert rows[1][0].endswith("-03:00")  # Montevideo's time


def test_a_file_of_an_empty_window_still_comes(slack, standin):
    slack.command("history --days 1 --csv")
    [file] = wait_for(lambda: uploaded(standin))
    assert file["shares"][0]["comment"] == "0 messages in the file, newest first."
