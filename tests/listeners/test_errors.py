"""What is refused before any listener runs, and the last-resort error handler."""

from __future__ import annotations

import time

import pytest

from bot.local.standin import Fault
from bot.slack.explain import form_unavailable, oops
from tests.listeners.harness import wait_for


@pytest.mark.parametrize(
    "forge",
    [
        lambda h: {**h, "x-slack-signature": ["v0=" + "0" * 64]},
        lambda h: {k: v for k, v in h.items() if k != "x-slack-signature"},
        lambda h: {k: v for k, v in h.items() if k != "x-slack-request-timestamp"},
    ],
    ids=["wrong signature", "no signature", "no timestamp"],
)
def test_an_unsigned_request_is_refused_and_does_nothing(slack, db, forge):
    body, _ = slack.command_body("send 091000001 forged")
    ack = slack.dispatch(body, forge(slack.headers(body)))
    assert ack.status == 401
    assert db.messages() == []


def test_a_replayed_old_request_is_refused(slack, db):
    body, _ = slack.command_body("send 091000001 replayed")
    ack = slack.dispatch(body, slack.headers(body, timestamp=int(time.time()) - 10 * 60))
    assert ack.status == 401
    assert db.messages() == []


FAILING_VIEWS_OPEN = Fault("views.open", status=500)


def test_a_form_slack_will_not_open_is_told_in_plain_words(slack, standin, caplog):
    standin.inject(FAILING_VIEWS_OPEN)
    ack = slack.command("send")
    assert ack.status == 200 and ack.body == ""
    said = slack.response(ack.ref)
    assert said["text"] == form_unavailable() and said["response_type"] == "ephemeral"
    warned = [r for r in caplog.records if r.getMessage().startswith("views.open failed")]
    assert warned and warned[0].exc_info is None


def test_the_helps_button_when_slack_will_not_open_the_form(slack, standin):
    button = slack.command("help").json["blocks"][-1]["elements"][0]
    standin.inject(FAILING_VIEWS_OPEN)
    ack = slack.click(button, block_id="help")
    assert ack.status == 200
    assert slack.response(ack.ref)["text"] == form_unavailable()


def test_an_unexpected_error_is_told_in_plain_words_and_logged(slack, monkeypatch, caplog):
    def broken(text: str) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("handlers.commands.grammar.parse", broken)
    ack = slack.command("help")
    assert slack.response(ack.ref) == {"text": oops(), "response_type": "ephemeral"}
    logged = wait_for(
        lambda: [r for r in caplog.records if r.getMessage().startswith("Unhandled error")]
    )
    assert logged[0].getMessage() == "Unhandled error for a slash command request"
    assert logged[0].exc_info is not None
    assert "a bug" not in str(slack.response(ack.ref))
