"""The send form's submission: field errors in the form, forged metadata, a good send."""

from __future__ import annotations

import json
import logging

import pytest

from bot.i18n import Texts
from tests.listeners.harness import form_values, settled, wait_for


@pytest.fixture
def form(slack) -> dict:
    """The form `/heynow send` opened, as Slack holds it (with a view id and hash)."""
    ack = slack.command("send")
    return slack.as_slack_holds_it(wait_for(lambda: slack.opened_views(ack.trigger))[0])


def test_a_good_form_is_recorded_before_the_ack_and_posted(slack, form, db, sim, runtime):
    ack = slack.submit(form, form_values("091000004", "from the form"))
    rows = db.messages()
    assert ack.status == 200 and ack.body == ""
    assert [(r["client_id"], r["text"], r["slack_channel"]) for r in rows] == [
        ("59891000004", "from the form", slack.channel)
    ]
    assert rows[0]["request_key"].startswith(f"view:{slack.team}:{form['id']}:{form['hash']}:")
    post = wait_for(slack.posts)[0]
    assert "*Diego Fernández* (59891000004)" in post["blocks"][0]["text"]["text"]
    wait_for(lambda: settled(runtime))
    assert len(slack.posts()) == 1 and len(sim.sends("from the form")) == 1


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        (form_values("12", "hello"), "client", "12 is not a valid phone number"),
        (form_values("", "hello"), "client", "Say who to send to"),
        (form_values("091000001", "   "), "text", "The message is empty"),
        (form_values("091000001", "hi", platform="9:x"), "platform", "is not a Hey Now channel"),
        (form_values("091000001", "hi", platform="1:a/b"), "platform", "is not a platform id"),
        (form_values("visitor-1", "hi", platform="4:webchat-demo"), "platform", "WebChat does not"),
        (
            form_values("2458811223344557", "x" * 2001, platform="2:104857600123456"),
            "text",
            "Messenger takes at most 2,000",
        ),
    ],
)
def test_a_field_error_marks_the_field_and_sends_nothing(slack, form, db, sim, values, field, says):
    ack = slack.submit(form, values)
    assert ack.status == 200
    assert ack.json["response_action"] == "errors"
    assert list(ack.json["errors"]) == [field]
    assert says in ack.json["errors"][field]
    assert len(ack.json["errors"][field]) <= 150
    assert db.messages() == [] and sim.sends() == []


@pytest.mark.parametrize(
    "metadata",
    ["not json", "[1, 2]", '"C123"', json.dumps({"channel": 5}), json.dumps({"channel": None})],
)
def test_a_form_with_forged_metadata_is_out_of_date_and_sends_nothing(
    slack, form, db, sim, caplog, metadata
):
    ack = slack.submit({**form, "private_metadata": metadata}, form_values("091000001", "hi"))
    assert ack.status == 200
    assert ack.json == {
        "response_action": "errors",
        "errors": {"text": Texts.of("en")("answer.form_out_of_date")},
    }
    warned = [r for r in caplog.records if "private_metadata the app never wrote" in r.getMessage()]
    assert [(r.levelno, r.exc_info) for r in warned] == [(logging.WARNING, None)]
    assert db.messages() == [] and sim.sends() == []


def test_a_form_opened_outside_a_channel_posts_to_the_person(slack, form, db):
    ack = slack.submit(
        {**form, "private_metadata": json.dumps({"channel": ""})}, form_values("091000001", "dm me")
    )
    assert ack.status == 200 and ack.body == ""
    assert [r["slack_channel"] for r in db.messages()] == [slack.user]
    wait_for(lambda: slack.posts(slack.user))


def test_the_no_validate_box_reaches_hey_now(slack, form, sim):
    slack.submit(form, form_values("59891999999", "boxed", no_validate=True))
    sent = wait_for(lambda: sim.sends("boxed"))
    assert [s["query"] for s in sent] == [{"contactValidation": "false"}]


def test_a_refused_form_send_is_told_to_the_sender_in_the_channel(slack, form, sim):
    slack.submit(form, form_values("59891999999", "to a stranger"))
    note = wait_for(lambda: [c.body for c in slack.calls("chat.postEphemeral")])[0]
    assert note["channel"] == slack.channel and note["user"] == slack.user
    assert "Not sent: 59891999999 is not in the agenda of WhatsApp 59899000001" in note["text"]
    assert slack.posts() == []
