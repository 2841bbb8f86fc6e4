"""The outbox poster against the recording Slack stand-in on loopback, with injected faults."""

import time

from slack_sdk import WebClient

from bot.domain import OutboxState, PostKind, Reply
from bot.domain.owed import reply
from bot.i18n import Texts
from bot.local.standin import Fault
from bot.slack.poster import Poster, PostPolicy
from tests.conftest import STANDIN_TOKEN, sent_message

TOKEN = STANDIN_TOKEN

ENGLISH = Texts.of("en", "UTC")  # what posts of messages recorded without a locale speak


def make_poster(store, slack, owner="p1", timeout=2, give_up_after=60.0, lease=5.0):
    client = WebClient(
        token=TOKEN, base_url=slack.url + "/api/", timeout=timeout, retry_handlers=[]
    )
    policy = PostPolicy(
        give_up_after=give_up_after, lease_seconds=lease, first_backoff=0.05, max_backoff=0.2
    )
    return Poster(store, client, owner=owner, policy=policy, fallback=ENGLISH)


def drain(poster, until, timeout=5.0):
    """Step the poster until `until()` holds (or fail at the deadline)."""
    deadline = time.monotonic() + timeout
    while not until():
        if not poster.step():
            time.sleep(0.02)
        assert time.monotonic() < deadline, "the poster did not get there in time"


def posts(slack, channel):
    return [m for m in slack.history.get(channel, []) if not m.get("thread_ts")]


def announced(store, key="k", at=None):
    return sent_message(store, key=key, at=at or time.time())


def test_a_channel_post_carries_its_dedupe_key_and_goes_out_once(fresh_store, slack):
    message_id = announced(fresh_store)
    poster = make_poster(fresh_store, slack)
    assert poster.step()
    assert not poster.step()
    [post] = posts(slack, "C1")
    assert post["metadata"]["event_payload"] == {"key": f"m{message_id}:announce"}
    assert fresh_store.messages.get(message_id).thread == ("C1", post["ts"])


def test_a_rate_limited_channel_waits_alone(fresh_store, slack):
    """Finding 4: 30 posts for another channel waited 25 s behind a channel answering 429."""
    slack.rate_limit("chat.postMessage", count=100, retry_after=30, channel="C1")
    announced(fresh_store, "a1")
    announced(fresh_store, "a2")
    others = [announced(fresh_store, f"b{n}") for n in range(30)]
    for message_id in others:
        fresh_store.db.execute(
            "UPDATE messages SET slack_channel = 'C2' WHERE id = ?", [message_id]
        )
        fresh_store.db.execute(
            "UPDATE outbox SET channel = 'C2' WHERE message_id = ?", [message_id]
        )
    poster = make_poster(fresh_store, slack)
    started = time.monotonic()
    drain(poster, lambda: len(posts(slack, "C2")) == 30)
    assert time.monotonic() - started < 3
    limited = [c for c in slack.calls if c.answered == 429]
    assert len(limited) == 1  # the channel is paused for its Retry-After: not asked again
    assert posts(slack, "C1") == []


def test_a_post_whose_answer_was_lost_is_found_again_not_posted_twice(fresh_store, slack):
    """Finding 4: a Slack answer slower than the time-out was retried and posted three times."""
    slack.inject(Fault("chat.postMessage", delay=1.5))  # posts, then answers too late
    announced(fresh_store)
    poster = make_poster(fresh_store, slack, timeout=0.5)
    assert poster.step()  # times out: may have been posted
    assert fresh_store.outbox.pending()[0]["maybe_posted"] == 1
    drain(poster, lambda: not fresh_store.outbox.pending())
    assert len(posts(slack, "C1")) == 1
    assert [c.method for c in slack.calls if c.method.startswith("conversations")] == [
        "conversations.history"
    ]


def test_a_short_slack_outage_delays_posts_but_loses_none(fresh_store, slack):
    """Finding 5: 30 s of 5xx abandoned the posts of the messages sent meanwhile, for good."""
    slack.inject(Fault("chat.postMessage", status=500, until=time.time() + 1.0))
    for n in range(3):
        announced(fresh_store, f"k{n}")
    poster = make_poster(fresh_store, slack)
    drain(poster, lambda: len(posts(slack, "C1")) == 3)
    assert len([c for c in slack.calls if c.answered == 500]) >= 3
    time.sleep(0.1)
    assert not poster.step() and len(posts(slack, "C1")) == 3  # each once, found or posted


def test_a_post_failing_past_the_give_up_time_is_given_up_and_its_sender_told(fresh_store, slack):
    slack.inject(Fault("chat.postMessage", channel="C1", status=500, until=time.time() + 60))
    message_id = announced(fresh_store)
    fresh_store.outbox.owe(reply(message_id, Reply.DELIVERED, time.time()))
    poster = make_poster(fresh_store, slack, give_up_after=0.3)
    drain(poster, lambda: slack.history.get("U1"))
    states = {r["dedupe_key"]: r["state"] for r in fresh_store.outbox.for_message(message_id)}
    assert states[f"m{message_id}:announce"] == OutboxState.GIVEN_UP
    assert states[f"m{message_id}:reply:delivered"] == OutboxState.GIVEN_UP
    [dm] = slack.history["U1"]
    assert "could not post it in <#C1>" in dm["text"]


def test_a_post_cut_off_by_a_crash_after_slack_took_it_is_not_posted_again(fresh_store, slack):
    """Finding 7: kill -9 between Slack's answer and the database write posted twice."""
    message_id = announced(fresh_store)
    crashed = make_poster(fresh_store, slack, owner="crashed", lease=0.2)
    row = fresh_store.outbox.claim("crashed", time.time(), 0.2)
    crashed._post(row, "C1", text="the post Slack took")  # ... and then the process died
    time.sleep(0.25)
    survivor = make_poster(fresh_store, slack, owner="survivor")
    drain(survivor, lambda: not fresh_store.outbox.pending())
    assert len(posts(slack, "C1")) == 1
    assert fresh_store.messages.get(message_id).slack_ts == posts(slack, "C1")[0]["ts"]


def test_a_thread_reply_cut_off_by_a_crash_is_found_in_the_thread(fresh_store, slack):
    message_id = announced(fresh_store)
    poster = make_poster(fresh_store, slack, owner="crashed", lease=0.2)
    poster.step()
    fresh_store.outbox.owe(reply(message_id, Reply.DELIVERED, time.time()))
    row = fresh_store.outbox.claim("crashed", time.time(), 0.2)
    channel, ts = fresh_store.messages.get(message_id).thread
    poster._post(row, channel, text="Delivered", thread_ts=ts)
    time.sleep(0.25)
    drain(
        make_poster(fresh_store, slack, owner="survivor"), lambda: not fresh_store.outbox.pending()
    )
    assert len([m for m in slack.history["C1"] if m.get("thread_ts")]) == 1


def test_a_status_line_update_that_changes_nothing_is_not_made(fresh_store, slack):
    """Finding 16: after Read the channel post was updated a second time with the same content."""
    from bot.domain import Status
    from bot.domain.tracking import PollPolicy
    from bot.services.tracking import Tracking

    message_id = announced(fresh_store)
    poster = make_poster(fresh_store, slack)
    poster.step()
    tracking = Tracking(fresh_store, PollPolicy(1, 10, 600, 3600), wake_outbox=lambda: None)
    tracking.observe(message_id, Status.DELIVERED)
    tracking.observe(message_id, Status.READ)  # both due before the poster runs again
    drain(poster, lambda: not fresh_store.outbox.pending())
    assert len(slack.of("chat.update")) == 1
    assert "Read" in str(slack.of("chat.update")[0].body["blocks"])


def test_a_channel_the_bot_cannot_post_in_gets_the_post_in_the_dm_and_the_sender_a_note(
    fresh_store, slack
):
    slack.unusable_channels.add("C1")
    message_id = announced(fresh_store)
    poster = make_poster(fresh_store, slack)
    drain(poster, lambda: not fresh_store.outbox.pending())
    assert fresh_store.messages.get(message_id).posted_channel == "U1"
    notes = [c.body["text"] for c in slack.of("chat.postMessage") if c.body["channel"] == "U1"]
    assert any("I follow the delivery in our direct messages" in n for n in notes)


def test_in_a_workspace_on_the_simulator_every_post_says_so(fresh_store, slack):
    message_id = announced(fresh_store)
    poster = make_poster(fresh_store, slack)
    poster.simulated = True
    poster.step()
    fresh_store.outbox.owe(reply(message_id, Reply.DELIVERED, time.time()))
    poster.step()
    posted = slack.of("chat.postMessage")
    assert len(posted) == 2
    for call in posted:
        assert "no customer receives anything" in str(call.body["blocks"][-1])


def test_a_history_file_never_uploaded_in_time_is_told_to_its_asker_in_their_language(
    fresh_store, slack
):
    from bot.domain.owed import history_file

    slack.inject(Fault("files.getUploadURLExternal", status=500, until=time.time() + 60))
    fresh_store.outbox.owe(
        history_file("T1:trig", "U7", time.time(), locale="es_UY", zone="America/Montevideo")
    )
    poster = make_poster(fresh_store, slack, give_up_after=0.3)
    poster.register(
        PostKind.HISTORY_CSV,
        lambda row: poster.call(
            "files_upload_v2", "channel:U7", channel="U7", content="x", filename="h.csv"
        ),
    )
    drain(poster, lambda: slack.history.get("U7"))
    [dm] = slack.history["U7"]
    assert dm["text"].startswith(Texts.of("es")("history.csv.failed", error="\0").split("\0")[0])
