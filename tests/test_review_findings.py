"""Edges a review of the rewrite found: each test failed before its fix.

Upgrades from the first version, answers that come after their lease, a database locked by a
neighbour, posts that cannot be looked up, rows queued behind a slow first row.
"""

import sqlite3
import time

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlite_utils import Database

from bot.domain import OutboxState, Outcome, PostKind, Reply, SendState, Status
from bot.domain.owed import Owed, reply
from bot.domain.tracking import PollPolicy, after_status
from bot.heynow import DeliveryUnknown, HeyNowClient, HeyNowTimeout, PlatformRef
from bot.i18n import Texts
from bot.jobs.send_queue import SendQueue
from bot.local.standin import Fault
from bot.services.sending import Sending
from bot.services.tracking import Tracking
from bot.slack.poster import Poster, PostPolicy
from storage import Store, schema
from tests.conftest import ROW, STANDIN_TOKEN, sent_message
from tests.test_poll_cost import idle_cycle_steps

TOKEN = STANDIN_TOKEN

ENGLISH = Texts.of("en", "UTC")  # what posts of messages recorded without a locale speak


def poster_for(store, slack, clock, *, give_up=60.0, timeout=2.0, owner="p1", lease=5.0):
    client = WebClient(
        token=TOKEN, base_url=slack.url + "/api/", timeout=timeout, retry_handlers=[]
    )
    policy = PostPolicy(
        give_up_after=give_up, lease_seconds=lease, first_backoff=0.05, max_backoff=0.2
    )
    return Poster(
        store, client, owner=owner, clock=clock, jitter=lambda: 0.0, policy=policy, fallback=ENGLISH
    )


def top_level(slack, channel="C1"):
    return [m for m in slack.history.get(channel, []) if not m.get("thread_ts")]


@pytest.fixture
def upgraded(tmp_path):
    """A database the first version left: a send cut off mid-call, a message whose stuck
    warning was posted, and one recorded without an id ("untracked") whose post is owed."""
    path = tmp_path / "old.db"
    db = Database(path)
    schema.migrations.apply(db, stop_before="m004_queue_and_leases")
    db["messages"].insert({**ROW, "id": 1, "request_key": "r1", "send_state": "sending"})
    db["messages"].insert(
        {
            **ROW,
            "id": 2,
            "request_key": "r2",
            "send_state": "sent",
            "status": "RS",
            "id_message_hey": "h2",
            "sent_at": 100.0,
            "next_poll_at": 200.0,
            "poll_interval": 5,
            "posted_channel": "C1",
            "slack_ts": "1.1",
        }
    )
    db["messages"].insert(
        {**ROW, "id": 3, "request_key": "r3", "send_state": "sent", "outcome": "untracked"}
    )
    db["notices"].insert_all(
        [
            {"message_id": 2, "kind": "announce", "created_at": 100.0, "posted_at": 101.0},
            {"message_id": 2, "kind": "stuck", "created_at": 150.0, "posted_at": 151.0},
            {"message_id": 3, "kind": "announce", "created_at": 1.0},
        ]
    )
    db.close()
    store = Store(path)
    yield store
    store.close()


def test_a_message_of_the_first_version_without_an_id_is_read_and_posted(upgraded):
    assert upgraded.messages.get(3).outcome is Outcome.UNTRACKED
    assert [m.id for m in upgraded.messages.recent_for_user("T1", "U1")] == [3, 2, 1]
    assert upgraded.outbox.claim("p", 10.0, 60).message.id == 3  # the outbox is not stuck on it


def test_a_send_the_first_version_left_in_flight_is_recovered_and_told(upgraded):
    found = upgraded.messages.recover(10_000.0, owner_gone=lambda o: False, queued_before=None)
    assert found.interrupted == 1
    assert upgraded.messages.get(1).send_state is SendState.UNKNOWN
    assert "m1:notice:interrupted" in [r["dedupe_key"] for r in upgraded.outbox.pending()]


def test_a_stuck_warning_posted_before_the_upgrade_is_not_owed_again(upgraded):
    policy = PollPolicy(5, 300, stuck_after=30, give_up_after=10**6)
    upgraded.messages.observe(2, lambda m: after_status(m, Status.ONE_TICK, 300.0, policy), 300.0)
    keys = [r["dedupe_key"] for r in upgraded.outbox.pending()]
    assert "m2:reply:stuck" not in keys


def test_hey_nows_answer_after_the_lease_ran_out_corrects_the_unknown(fresh_store):
    fresh_store.messages.enqueue(ROW)
    claimed = fresh_store.messages.claim_send("me:1", 100.0, 70)
    fresh_store.messages.recover(171.0, owner_gone=lambda o: False, queued_before=None)
    assert fresh_store.messages.mark_sent(
        claimed, "me:1", "hey-REAL", 172.0, first_poll_at=180, announce_at=172
    )
    message = fresh_store.messages.get(1)
    assert (message.send_state, message.id_message_hey) == (SendState.SENT, "hey-REAL")
    keys = [r["dedupe_key"] for r in fresh_store.outbox.pending()]
    assert keys == ["m1:notice:interrupted", "m1:announce", "m1:notice:late_sent"]


def test_a_database_locked_by_a_neighbour_keeps_hey_nows_answer_for_later(tmp_path):
    path = tmp_path / "x.db"
    store = Store(path)
    store.db.execute("PRAGMA busy_timeout = 100")
    neighbour = sqlite3.connect(path, isolation_level=None)
    told = []

    class LockingHeyNow:
        def send_message(self, *args, **kwargs):
            neighbour.execute("BEGIN IMMEDIATE")  # the other process writes for a while
            return "hey-REAL"

    class NoNames:
        def name(self, *args):
            return None

    sending = Sending(
        store,
        LockingHeyNow(),
        NoNames(),
        first_poll_seconds=5,
        name_wait_seconds=5,
        wake_queue=lambda: None,
        wake_outbox=lambda: None,
    )
    queue = SendQueue(sending, owner="me", lease_seconds=70, unrecorded=lambda m, r: told.append(r))
    store.messages.enqueue({**ROW, "created_at": time.time()})
    assert queue.step()
    assert [r.hey_id for r in told] == ["hey-REAL"]
    neighbour.execute("ROLLBACK")
    assert not queue.step()
    assert store.messages.get(1).id_message_hey == "hey-REAL"


def test_a_login_that_times_out_inside_a_send_is_not_a_send_that_may_have_gone_out():
    def handler(request):
        if request.url.path.endswith("/login"):
            raise httpx.ReadTimeout("slow login", request=request)
        return httpx.Response(200, json={"idMessageHey": "x"})

    client = HeyNowClient(
        base_url="http://h/api", user="u", password="p", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(HeyNowTimeout) as raised:
        client.send_message(PlatformRef.parse("1:59899000001"), "59891000001", "hi")
    assert not isinstance(raised.value, DeliveryUnknown)


def test_a_post_in_a_channel_the_bot_is_not_in_is_looked_for_after_joining(fresh_store, slack):
    now = [time.time()]
    sent_message(fresh_store, at=now[0])
    slack.inject(Fault("chat.postMessage", delay=0.6))  # posted, answer lost
    poster = poster_for(fresh_store, slack, lambda: now[0], timeout=0.4)
    assert poster.step()
    joined = []
    real_history = poster.slack.conversations_history

    def history(**kwargs):
        if not joined:
            raise SlackApiError("not in channel", _Answer("not_in_channel"))
        return real_history(**kwargs)

    poster.slack.conversations_history = history
    poster.slack.conversations_join = lambda **kwargs: joined.append(kwargs) or {"ok": True}
    time.sleep(0.6)
    now[0] += 5
    for _ in range(3):
        poster.step()
    assert len(top_level(slack)) == 1 and joined == [{"channel": "C1"}]


class _Answer:
    """The part of a SlackResponse that SlackApiError handlers read."""

    def __init__(self, error, status_code=200, headers=None):
        self._error, self.status_code, self.headers = error, status_code, headers or {}

    def get(self, key, default=None):
        return self._error if key == "error" else default

    def __getitem__(self, key):
        return self.get(key)


def test_a_reply_waiting_behind_a_slow_channel_post_gets_its_own_tries(fresh_store, slack):
    t0 = time.time()
    now = [t0]
    message_id = sent_message(fresh_store, at=t0)
    fresh_store.outbox.owe(reply(message_id, Reply.DELIVERED, t0 + 1))
    slack.inject(Fault("chat.postMessage", status=500, count=1))
    poster = poster_for(fresh_store, slack, lambda: now[0], give_up=60.0)
    assert poster.step()  # the channel post: 500, backs off
    now[0] = t0 + 59.0
    assert poster.step()  # posted, just before its give-up time
    now[0] = t0 + 61.5
    assert poster.step()  # the reply, tried for the first time now
    assert len([m for m in slack.history["C1"] if m.get("thread_ts")]) == 1


def test_a_post_that_may_have_gone_out_is_looked_for_before_it_is_given_up(fresh_store, slack):
    t0 = time.time()
    now = [t0]
    sent_message(fresh_store, at=t0)
    slack.inject(Fault("chat.postMessage", delay=0.6))
    poster = poster_for(fresh_store, slack, lambda: now[0], give_up=60.0, timeout=0.4)
    assert poster.step()
    time.sleep(0.6)
    now[0] = t0 + 61
    for _ in range(3):
        poster.step()
    assert len(top_level(slack)) == 1
    assert not any("could not post" in m["text"] for m in slack.history.get("U1", []))
    assert fresh_store.outbox.for_message(1)[0]["state"] == OutboxState.POSTED


def test_a_channel_post_found_again_still_gets_the_status_it_missed(fresh_store, slack):
    now = [time.time()]
    message_id = sent_message(fresh_store, at=now[0])
    slack.inject(Fault("chat.postMessage", delay=0.6))
    poster = poster_for(fresh_store, slack, lambda: now[0], timeout=0.4)
    assert poster.step()
    Tracking(
        fresh_store, PollPolicy(1, 10, 600, 3600), wake_outbox=lambda: None, clock=lambda: now[0]
    ).observe(message_id, Status.DELIVERED)
    time.sleep(0.6)
    now[0] += 5
    for _ in range(6):
        poster.step()
    assert len(top_level(slack)) == 1
    assert [u.body["ts"] for u in slack.of("chat.update")] == [top_level(slack)[0]["ts"]]


def test_a_rate_limited_look_up_waits_out_its_retry_after(fresh_store, slack):
    now = [time.time()]
    sent_message(fresh_store, at=now[0])
    slack.inject(Fault("chat.postMessage", delay=0.6))
    poster = poster_for(fresh_store, slack, lambda: now[0], timeout=0.4)
    assert poster.step()
    time.sleep(0.6)
    slack.inject(Fault("conversations.history", status=429, retry_after=30))
    now[0] += 5
    assert poster.step()
    assert fresh_store.outbox.pending()[0]["next_attempt_at"] - now[0] >= 30


def test_rows_queued_behind_a_backed_off_first_row_cost_a_claim_nothing(fresh_store):
    base = idle_cycle_steps(fresh_store)
    message_id = sent_message(fresh_store, at=100.0)
    fresh_store.db.execute("UPDATE messages SET next_poll_at = 9e9")  # no poll due either
    head = fresh_store.outbox.claim("p", 100.0, 30)
    fresh_store.outbox.retry_later(head, error="HTTP 503", at=5000.0, maybe_posted=False)
    for n in range(500):
        fresh_store.outbox.owe(
            Owed(
                f"behind-{n}",
                PostKind.REPLY,
                f"message:{message_id}",
                101.0,
                message_id=message_id,
                payload={"reply": "read"},
            )
        )
    assert idle_cycle_steps(fresh_store) <= base + 100


def test_a_note_to_the_sender_that_never_got_through_is_sent_to_their_dm(fresh_store, slack):
    now = [time.time()]
    fresh_store.messages.enqueue(ROW)
    message = fresh_store.messages.claim_send("w", now[0], 60)
    fresh_store.messages.mark_failed(
        message,
        "w",
        SendState.REJECTED,
        "404",
        now[0],
        _notice(),
        {"error": "NotFound", "status_code": 404},
    )
    slack.inject(Fault("chat.postEphemeral", status=500, until=time.time() + 60))
    poster = poster_for(fresh_store, slack, lambda: now[0], give_up=1.0)
    assert poster.step()
    now[0] += 2
    assert poster.step()  # given up: the DM is owed
    assert poster.step()
    [dm] = slack.history["U1"]
    assert "Not sent" in dm["text"]


def _notice():
    from bot.domain import SenderNotice

    return SenderNotice.REJECTED


def test_a_claim_taken_again_after_its_lease_ran_out_cannot_be_recorded_by_the_first(fresh_store):
    fresh_store.outbox.owe(Owed("k", PostKind.DM, "user:U1", 100.0, channel="U1", user="U1"))
    first = fresh_store.outbox.claim("me:1", 100.0, 10)
    second = fresh_store.outbox.claim("me:2", 111.0, 10)
    fresh_store.outbox.posted(first, "D1", "1.1", 112.0)  # the first thread, late
    assert fresh_store.outbox.pending()[0]["lease_owner"] == "me:2"
    fresh_store.outbox.posted(second, "D1", "1.2", 113.0)
    assert fresh_store.outbox.pending() == []
