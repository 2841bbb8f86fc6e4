"""What is refused before any listener runs, and the last-resort error handler."""

from __future__ import annotations

import time

import pytest

from bot.local.standin import Fault
from bot.slack.explain import OOPS
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


# Slack answers views.open after a network's delay. (Answered at once, Bolt 1.30 loses the
# ack: its thread runner resets ack.response to None when a listener raises after ack(),
# before the dispatcher has seen it; the request then waits out ack_timeout and gets no answer.)
FAILING_VIEWS_OPEN = Fault("views.open", status=500, delay=0.05)


def test_an_error_after_the_ack_is_told_in_plain_words_and_logged(slack, standin, caplog):
    standin.inject(FAILING_VIEWS_OPEN)
    ack = slack.command("send")
    assert ack.status == 200 and ack.body == ""
    said = slack.response(ack.ref)
    assert said == {"text": OOPS, "response_type": "ephemeral"}
    logged = wait_for(
        lambda: [r for r in caplog.records if r.getMessage().startswith("Unhandled error")]
    )
    assert logged[0].getMessage() == "Unhandled error for a slash command request"
    assert logged[0].exc_info is not None


def test_an_error_in_a_button_is_told_where_it_was_clicked(slack, standin, caplog):
    button = slack.command("help").json["blocks"][-1]["elements"][0]
    standin.inject(FAILING_VIEWS_OPEN)
    ack = slack.click(button, block_id="help")
    assert ack.status == 200
    assert slack.response(ack.ref)["text"] == OOPS
    assert wait_for(
        lambda: [
            r
            for r in caplog.records
            if r.getMessage() == "Unhandled error for a block_actions request"
        ]
    )
