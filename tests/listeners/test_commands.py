"""`/heynow` answered in its ack: help, grammar errors, sends refused or recorded."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.e2e.harness import app_says, app_says_until
from tests.listeners.harness import settled, wait_for

WA = "WhatsApp 59899000001"


@pytest.mark.parametrize("text", ["help", "", "   "])
def test_help_lists_the_commands_and_offers_the_form(slack, text):
    ack = slack.command(text)
    assert ack.status == 200
    assert ack.json["text"] == "How to use /heynow"
    assert app_says("help.send") in ack.text and app_says("help.other_words") in ack.text
    default = app_says("help.default", ref="1:59899000001", label="WhatsApp 59899000001")
    assert default in ack.text
    button = ack.json["blocks"][-1]["elements"][0]
    assert button["action_id"] == "open_send_form"


def test_an_unknown_sub_command_says_what_was_meant(slack, sim):
    ack = slack.command("sned 091000001 hi")
    assert ack.status == 200
    assert "`sned` is not a /heynow command. Did you mean `/heynow send`?" in ack.text
    assert sim.sends() == []


def test_a_word_like_no_command_gets_no_guess(slack):
    ack = slack.command("xyzzy")
    assert "`xyzzy` is not a /heynow command. `/heynow help` lists them." in ack.text
    assert "Did you mean" not in ack.text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("send 091000001", "The message to 091000001 is empty"),
        ("send 091000001    ", "The message to 091000001 is empty"),
        ("send --fast 091000001 hi", "`--fast` is not an option of send"),
        ("send --no-validate", "Say who to send to and what"),
        ("send 12345 hi", "`12345` is not a valid phone number"),
        ("send 09l000001 hi", "is not a valid phone number"),
        ("send 1:bad/id 091000001 hi", "`bad/id` is not a platform id"),
        ("send 4:webchat-demo visitor-1 hi", "WebChat does not take single messages"),
        (
            "send 2:104857600123456 2458811223344557 " + "x" * 2001,
            "The message has 2,001 characters; Messenger takes at most 2,000",
        ),
        ("status a b c", "Use `/heynow status ID`"),
        ("history --days 100", "`--days` takes a whole number of days from 1 to 90"),
        ("contact", "Use `/heynow contact [CHANNEL:PLATFORM] CLIENT`"),
    ],
)
def test_bad_input_is_answered_in_the_ack_and_nothing_is_recorded(slack, sim, db, text, says):
    ack = slack.command(text)
    assert ack.status == 200
    assert says in ack.text
    assert ack.json["blocks"][0]["text"]["text"].startswith(":warning:")
    assert db.messages() == []
    assert sim.sends() == []


def test_a_text_at_the_channels_limit_is_taken(slack, db):
    ack = slack.command("send 2:104857600123456 2458811223344557 " + "x" * 2000)
    assert "Sending to 2458811223344557" in ack.text
    assert len(db.messages()) == 1


class SlowDisk:
    """The app's connection on a disk that takes 50 ms to take the intake insert."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        if sql.lstrip().startswith("INSERT INTO messages"):
            threading.Event().wait(0.05)
        return self._real.execute(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_a_send_is_recorded_before_the_ack_and_posted_once(slack, sim, db, runtime, monkeypatch):
    storage = runtime.store._db  # noqa: SLF001 (a slow disk under the one connection)
    monkeypatch.setattr(storage, "db", SlowDisk(storage.db))
    ack = slack.command("send 091000001 Your order is ready")
    rows = db.messages()  # read at once: the ack must not come before the record
    assert ack.status == 200
    assert ack.body == ":outbox_tray: Sending to 59891000001 through WhatsApp 59899000001…"
    assert [(r["request_key"], r["client_id"], r["text"]) for r in rows] == [
        (f"command:{slack.team}:{ack.trigger}", "59891000001", "Your order is ready")
    ]
    assert rows[0]["slack_user"] == slack.user and rows[0]["slack_channel"] == slack.channel
    post = wait_for(slack.posts)[0]
    wait_for(lambda: settled(runtime))
    assert len(slack.posts()) == 1
    recipient = "*Ana Pérez* (59891000001)"
    head = app_says("post.head", sender=f"<@{slack.user}>", recipient=recipient, platform=WA)
    assert post["blocks"][0]["text"]["text"].startswith(head)
    assert "> Your order is ready" in post["blocks"][0]["text"]["text"]
    assert [s["query"] for s in sim.sends("Your order is ready")] == [{"contactValidation": "true"}]


def test_the_channel_post_follows_the_status(slack, sim, runtime):
    slack.command("send 091000001 follow me")
    post = wait_for(slack.posts)[0]
    hey_id = wait_for(lambda: [m for m in sim.messages() if m["text"] == "follow me"])[0]["id"]
    sim.force_status(hey_id, "RU")
    updated = wait_for(
        lambda: [c.body for c in slack.calls("chat.update") if c.body["channel"] == slack.channel]
    )[-1]
    assert app_says("status.delivered.whatsapp") in updated["blocks"][1]["elements"][0]["text"]
    assert post["blocks"][0] == updated["blocks"][0]
    reply = wait_for(
        lambda: [c.body for c in slack.calls("chat.postMessage") if c.body.get("thread_ts")]
    )[0]
    delivered = app_says_until("reply.delivered.whatsapp_at", "when", who="Ana Pérez")
    assert reply["text"].startswith(f":heavy_check_mark::heavy_check_mark: {delivered}")


def test_no_validate_reaches_hey_now(slack, sim, runtime):
    slack.command("send --no-validate 1:59899000001 59891999999 to a stranger")
    wait_for(slack.posts)
    assert [s["query"] for s in sim.sends("to a stranger")] == [{"contactValidation": "false"}]


def test_slack_entities_reach_hey_now_as_characters(slack, sim):
    slack.command("send 091000001 Fish & chips <today>")
    wait_for(lambda: sim.sends("Fish & chips <today>"))


def test_send_alone_opens_the_form(slack):
    ack = slack.command("send")
    assert ack.status == 200 and ack.body == ""
    view = wait_for(lambda: slack.opened_views(ack.trigger))[0]
    assert view["callback_id"] == "heynow_send_form"
    assert view["private_metadata"] == f'{{"channel": "{slack.channel}"}}'
    platform = view["blocks"][0]["element"]
    assert platform["initial_value"] == "1:59899000001"


def test_a_send_hey_now_fails_is_told_where_it_was_typed(slack, sim):
    sim.fault(method="POST", path="/api/message/", status=500)
    ack = slack.command("send 091000001 did it go?")
    assert "Sending to 59891000001" in ack.text
    note = slack.response(ack.ref)
    assert note["response_type"] == "ephemeral"
    assert "may or may not have gone out" in note["text"] and "*unknown*" in note["text"]
    assert slack.posts() == []
