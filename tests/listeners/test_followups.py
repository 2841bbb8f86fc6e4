"""Forms that open prefilled: a channel post's Follow up (same client and platform), and the
message shortcut Send with Hey Now (that message's text)."""

from __future__ import annotations

import json

from bot.i18n import Texts
from tests.listeners.harness import Slack, wait_for

EN = Texts.of("en")


def field(view, block_id):
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return block["element"].get("initial_value")


def test_follow_up_opens_the_form_for_the_same_client_and_platform(slack, runtime):
    slack.command("send 091000001 first message")
    post = wait_for(slack.posts)[0]
    button = post["blocks"][0]["accessory"]
    assert button["action_id"] == "follow_up" and button["text"]["text"] == EN("post.follow_up")
    ack = slack.click(button, block_id=post["blocks"][0].get("block_id", "b"))
    view = wait_for(lambda: slack.opened_views(ack.trigger))[0]
    assert field(view, "platform") == "1:59899000001" and field(view, "client") == "59891000001"
    assert field(view, "text") is None


def test_a_follow_up_naming_a_message_the_clicker_cannot_see_opens_nothing(
    slack, standin, runtime, caplog
):
    slack.command("send 091000001 private")
    standin.private_channels.add(slack.channel)
    wait_for(slack.posts)
    other = Slack(runtime, standin, standin.url, channel="C0ELSEWHERE")  # type: ignore[attr-defined]
    forged = {
        "action_id": "follow_up",
        "text": {"type": "plain_text", "text": "x"},
        "value": json.dumps({"message": 1}),
    }
    ack = other.click(forged, block_id="b")
    assert other.response(ack.ref)["text"] == EN("explain.out_of_date")
    assert other.opened_views(ack.trigger) == []


def test_the_message_shortcut_opens_the_form_with_the_messages_text(slack):
    payload = {
        "type": "message_action",
        "callback_id": "heynow_send_message",
        "channel": {"id": slack.channel, "name": "support"},
        "message": {
            "type": "message",
            "text": "Your order &amp; invoice are ready &lt;3",
            "ts": "1.1",
        },
        "message_ts": "1.1",
        "response_url": f"{slack.url}/respond/shortcut-1",
    }
    ack = slack.interact(payload)
    assert ack.status == 200
    view = wait_for(lambda: slack.opened_views(ack.trigger))[0]
    assert field(view, "text") == "Your order & invoice are ready <3"


def test_the_message_shortcut_refuses_a_non_sender_in_words(make_runtime, standin):
    runtime = make_runtime(database="senders.db", HEYNOW_SENDERS="U0ONLYHER")
    slack = Slack(runtime, standin, standin.url)  # type: ignore[attr-defined]
    payload = {
        "type": "message_action",
        "callback_id": "heynow_send_message",
        "channel": {"id": slack.channel},
        "message": {"type": "message", "text": "hola", "ts": "1.1"},
        "response_url": f"{slack.url}/respond/shortcut-2",
    }
    ack = slack.interact(payload)
    assert slack.opened_views(ack.trigger) == []
    told = wait_for(
        lambda: [c for c in standin.of("chat.postMessage") if c.body.get("channel") == slack.user]
    )
    assert "<@U0ONLYHER>" in told[0].body["text"]
