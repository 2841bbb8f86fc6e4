"""A send, end to end: Slack command -> app process -> Hey Now simulator -> Slack posts."""

import time

from tests.e2e.harness import EVIL_CLIENT, app_says, app_says_until, wait_for
from tests.e2e.slackview import ack_text, channel_posts, replies_to, thread_replies, updates_in


def sends_with_text(sim, text):
    return [
        r
        for r in sim.requests()
        if r["method"] == "POST" and (r.get("body") or {}).get("text") == text
    ]


def test_send_reaches_heynow_with_the_right_path_query_and_body(person, sim):
    response, _ = person.slash("send 091000001 Hola Ana, <b>tu pedido</b> & más\nllegó")
    assert response.status_code == 200
    text = "Hola Ana, <b>tu pedido</b> & más\nllegó"
    sent = wait_for(lambda: sends_with_text(sim, text))
    assert len(sent) == 1
    assert sent[0]["path"] == "/api/message/1/59899000001/59891000001"
    assert sent[0]["query"] == {"contactValidation": "true"}
    assert sent[0]["authorized"] is True


def test_channel_message_then_delivered_then_read_each_once_in_order(person, slack):
    person.slash("send 59891000001 Your order shipped")
    post = wait_for(lambda: channel_posts(slack, person.channel))[0]
    assert "Ana Pérez" in post["blocks"][0]["text"]["text"]
    assert f"<@{person.user}>" in post["blocks"][0]["text"]["text"]
    assert "WhatsApp 59899000001" in post["blocks"][0]["text"]["text"]
    replies = wait_for(
        lambda: (
            len(thread_replies(slack, person.channel)) >= 2
            and thread_replies(slack, person.channel)
        )
    )
    assert app_says_until("reply.delivered.whatsapp_at", "when", who="Ana Pérez") in replies[0]
    assert app_says_until("reply.read.whatsapp_at", "when", who="Ana Pérez") in replies[1]
    time.sleep(1.5)  # several more poll ticks: nothing may be posted again
    assert len(thread_replies(slack, person.channel)) == 2
    assert len(channel_posts(slack, person.channel)) == 1
    assert app_says("status.read.whatsapp") in updates_in(slack, person.channel)[-1]


def test_ack_comes_before_the_hey_now_work(person, sim, slack):
    sim.control("/_sim/faults", {"method": "POST", "path": "/api/message/", "delay": 2})
    started = time.monotonic()
    response, _ = person.slash("send 59891000004 slow day")
    acked_after = time.monotonic() - started
    assert "Sending to 59891000004" in ack_text(response)
    assert channel_posts(slack, person.channel) == []  # Hey Now had not answered yet
    wait_for(lambda: channel_posts(slack, person.channel), timeout=10)
    assert acked_after < 2  # the delay was Hey Now's, after the ack


def test_a_bad_signature_is_refused_and_sends_nothing(person, sim, slack):
    body, _ = person.command_body("send 59891000001 forged message")
    bad = person.post(body, headers={"X-Slack-Signature": "v0=" + "0" * 64})
    stale = person.post(body, timestamp=int(time.time()) - 600)
    assert (bad.status_code, stale.status_code) == (401, 401)
    time.sleep(0.5)
    assert sends_with_text(sim, "forged message") == []
    assert channel_posts(slack, person.channel) == []


def test_a_slack_retry_of_the_same_command_sends_nothing_twice(person, sim, slack):
    body, _ = person.command_body("send 59891000005 only once please")
    first = person.post(body)
    retry = person.post(
        body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert (first.status_code, retry.status_code) == (200, 200)
    wait_for(lambda: channel_posts(slack, person.channel))
    time.sleep(0.5)
    assert len(sends_with_text(sim, "only once please")) == 1
    assert len(channel_posts(slack, person.channel)) == 1


def test_names_from_hey_now_cannot_ping_anyone(person, slack):
    person.slash(f"send {EVIL_CLIENT} hi")
    post = wait_for(lambda: channel_posts(slack, person.channel))[0]
    shown = post["blocks"][0]["text"]["text"] + post["text"]
    assert "<!channel>" not in shown and "<@U0BOSS>" not in shown
    assert "&lt;!channel&gt;" in shown and "Eve &amp; &lt;@U0BOSS&gt;" in shown


def test_an_unreachable_client_gets_a_stuck_warning_then_tracking_stops(person, slack):
    person.slash("send 59891000003 are you there?")  # Carla's phone is off: stays at one tick
    replies = wait_for(
        lambda: (
            len(thread_replies(slack, person.channel)) >= 2
            and thread_replies(slack, person.channel)
        ),
        timeout=15,
    )
    one_tick = app_says("status.one_tick.whatsapp")
    still = one_tick[:1].lower() + one_tick[1:]
    stuck = app_says("reply.stuck.whatsapp", who="Carla Gómez", status=still)
    assert replies[0] == f":warning: {stuck}"
    assert any(one_tick in update for update in updates_in(slack, person.channel))
    assert replies[1] == f":x: {app_says('reply.gave_up', who='Carla Gómez')}"
    # The status line's last update may come a moment after the thread reply (its own row).
    wait_for(lambda: app_says("outcome.stuck") in (updates_in(slack, person.channel) or [""])[-1])


def test_slack_429_is_waited_out(person, slack):
    slack.rate_limit("chat.postMessage", count=1, retry_after=1)
    person.slash("send 59891000002 through the rate limit")
    wait_for(lambda: channel_posts(slack, person.channel), timeout=10)
    limited = [c for c in slack.calls if c.method == "chat.postMessage" and c.answered == 429]
    assert limited and limited[-1].body.get("channel") == person.channel
    assert len(channel_posts(slack, person.channel)) == 1


def test_the_tracking_post_falls_back_to_the_dm_when_the_channel_is_closed(person, slack):
    slack.unusable_channels.add(person.channel)
    _, trigger = person.slash("send 59891000001 private channel")
    dm_post = wait_for(lambda: channel_posts(slack, person.user))
    assert "private channel" in dm_post[0]["blocks"][0]["text"]["text"]
    said = wait_for(lambda: replies_to(slack, trigger))
    assert "direct messages" in said[0] and "/invite" in said[0]
