"""Faults a real deployment meets every month, against the real app process.

Each test here failed on the first version of the app (before durable intake, leases and the
outbox): the finding it reproduces is named in its docstring.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.local.standin import Fault
from bot.simulator import load_config
from tests.e2e.harness import AppProcess, SimulatorProcess, SlackUser, app_env, app_says, wait_for
from tests.e2e.slackview import ack_text, channel_posts, replies_to, thread_replies, updates_in

FINAL = ("sent", "rejected", "unknown", "expired")


@pytest.fixture
def still_sim(tmp_path):
    """A simulator of its own, whose statuses move only when told."""
    sim = SimulatorProcess(tmp_path, load_config(), step_seconds=100000)
    yield sim
    sim.stop()


@pytest.fixture
def slow_sim(still_sim):
    """... and whose sends take 1 s."""
    still_sim.control(
        "/_sim/faults", {"method": "POST", "path": "/api/message/", "delay": 1, "count": 200}
    )
    return still_sim


def quiet_env(slack, sim, database: Path, **extra: str) -> dict[str, str]:
    """Settings where nothing but the test's own events posts in the thread."""
    return app_env(
        slack.url,
        sim.url,
        database,
        HEYNOW_POLL_GIVE_UP_HOURS="1",
        HEYNOW_STUCK_MINUTES="60",
        **extra,
    )


def rows(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT text, send_state FROM messages ORDER BY id").fetchall()


def kill(app: AppProcess) -> None:
    app.popen.kill()  # SIGKILL: no clean-up of any kind
    app.popen.wait()
    app.stop()


def top_level(slack, channel):
    return [m for m in slack.history.get(channel, []) if not m.get("thread_ts")]


def test_sends_acknowledged_before_a_kill_are_neither_lost_nor_sent_twice(
    tmp_path, slack, slow_sim
):
    """Finding 1: 50 sends while Hey Now answers in 2 s, kill -9 half a second later: 34 of the
    50 acknowledged sends left no record, and their senders' /heynow status knew nothing."""
    database = tmp_path / "crash.db"
    env = quiet_env(slack, slow_sim, database)
    app = AppProcess(tmp_path, env)
    person = SlackUser(app, slack.url)
    texts = [f"crash test {n}" for n in range(50)]
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda t: person.slash(f"send 59891000001 {t}"), texts))
    assert all("Sending" in ack_text(response) for response, _ in answers)
    time.sleep(0.5)
    kill(app)
    restarted = AppProcess(tmp_path, env)
    try:
        wait_for(lambda: all(state in FINAL for _, state in rows(database)), timeout=30)
        recorded = rows(database)
        assert sorted(text for text, _ in recorded) == sorted(texts)  # none lost
        reached = Counter(m["text"] for m in slow_sim.messages())
        assert max(reached.values()) == 1  # none sent twice
        for text, state in recorded:
            assert state in ("sent", "unknown"), (text, state)
            assert state == "unknown" or reached[text] == 1
        unknown = {t for t, s in recorded if s == "unknown"}
        assert unknown, "the kill should have caught some sends at Hey Now"
        triggers = {text: trigger for text, (_, trigger) in zip(texts, answers, strict=True)}
        for text in unknown:
            said = wait_for(lambda text=text: replies_to(slack, triggers[text]))
            assert "may or may not have gone out" in said[-1]
    finally:
        restarted.stop()


def test_a_post_slack_took_just_before_a_kill_is_not_posted_again(tmp_path, slack, sim):
    """Finding 7: kill -9 between Slack's answer and the database write posted the channel
    message twice (the first then stayed ⏳ forever and looked like a second send)."""
    env = app_env(slack.url, sim.url, tmp_path / "posted.db")
    app = AppProcess(tmp_path, env)
    person = SlackUser(app, slack.url)
    slack.inject(Fault("chat.postMessage", channel=person.channel, delay=5))  # answers late
    person.slash("send 59891000001 posted exactly once")
    wait_for(lambda: top_level(slack, person.channel))  # Slack has posted it
    kill(app)
    restarted = AppProcess(tmp_path, env)
    try:
        wait_for(lambda: len(thread_replies(slack, person.channel)) >= 2, timeout=15)
        assert len(top_level(slack, person.channel)) == 1
        assert len(channel_posts(slack, person.channel)) == 1
        [post] = top_level(slack, person.channel)
        assert {m.get("thread_ts") for m in slack.history[person.channel][1:]} == {post["ts"]}
    finally:
        restarted.stop()


def test_a_channel_answering_429_holds_up_no_other_channel(tmp_path, slack, sim):
    """Finding 4: the notifier held one lock across Slack calls, 429 waits included: 30 posts
    for another channel waited 25 s behind a channel answering 429."""
    app = AppProcess(tmp_path, app_env(slack.url, sim.url, tmp_path / "429.db"))
    try:
        limited, other = SlackUser(app, slack.url), SlackUser(app, slack.url)
        slack.rate_limit("chat.postMessage", count=1000, retry_after=5, channel=limited.channel)
        limited.slash("send 59891000001 to the rate-limited channel")
        wait_for(lambda: any(c.answered == 429 for c in slack.calls))
        started = time.monotonic()
        for n in range(30):
            other.slash(f"send 59891000004 meanwhile {n}")
        wait_for(lambda: len(channel_posts(slack, other.channel)) == 30, timeout=8)
        assert time.monotonic() - started < 8
        assert channel_posts(slack, limited.channel) == []
    finally:
        slack.faults.clear()
        app.stop()


def test_a_short_slack_outage_delays_posts_and_loses_none(tmp_path, slack, sim):
    """Finding 5: 30 s of 5xx from chat.postMessage abandoned the channel posts and thread
    replies of the messages sent meanwhile, and nothing was posted after Slack recovered."""
    app = AppProcess(tmp_path, app_env(slack.url, sim.url, tmp_path / "outage.db"))
    try:
        person = SlackUser(app, slack.url)
        slack.inject(
            Fault("chat.postMessage", channel=person.channel, status=503, until=time.time() + 3)
        )
        for n in range(3):
            person.slash(f"send 59891000001 during the outage {n}")
        wait_for(lambda: len(channel_posts(slack, person.channel)) == 3, timeout=25)
        wait_for(lambda: len(thread_replies(slack, person.channel)) == 6, timeout=10)
        assert len(top_level(slack, person.channel)) == 3
    finally:
        app.stop()


def test_the_send_form_submitted_twice_sends_once(person, slack, sim):
    """Finding 8: the same view, the same hash, two trigger ids (a double click) sent twice."""
    values = {
        "platform": {"value": {"type": "plain_text_input", "value": "1:59899000001"}},
        "client": {"value": {"type": "plain_text_input", "value": "091000002"}},
        "text": {"value": {"type": "plain_text_input", "value": "double click"}},
        "options": {"value": {"type": "checkboxes", "selected_options": []}},
    }
    view = {
        "type": "modal",
        "id": "V0DOUBLE",
        "hash": "1700000000.abc",
        "callback_id": "heynow_send_form",
        "private_metadata": f'{{"channel": "{person.channel}"}}',
        "state": {"values": values},
    }
    for trigger in ("t.double.1", "t.double.2"):
        response = person.interact({"type": "view_submission", "trigger_id": trigger, "view": view})
        assert response.status_code == 200
    wait_for(lambda: channel_posts(slack, person.channel))
    time.sleep(1)
    assert [m["text"] for m in sim.messages()].count("double click") == 1
    assert len(channel_posts(slack, person.channel)) == 1


def test_sends_to_one_client_name_it_with_one_contact_look_up(person, slack, sim):
    """Finding 16: the look-up that names the client was made again for every send, even to
    the same client a second later (500 sends, 1,000 Hey Now calls)."""
    path = "/api/contact/1/59899000001/59891000005"
    before = [r["path"] for r in sim.requests()].count(path)
    for n in range(5):
        person.slash(f"send 091000005 named once {n}")
    wait_for(lambda: len(channel_posts(slack, person.channel)) == 5)
    assert [r["path"] for r in sim.requests()].count(path) - before <= 1
    assert all("Lucía" in p["text"] for p in channel_posts(slack, person.channel))


def test_the_channel_post_is_never_updated_with_what_it_already_shows(tmp_path, slack, still_sim):
    """Finding 16: after "Read" the channel post was updated a second time, the same again
    (Hey Now skipped from ? to LU: "Delivered" and "Read" were owed at once)."""
    app = AppProcess(tmp_path, quiet_env(slack, still_sim, tmp_path / "updates.db"))
    try:
        person = SlackUser(app, slack.url)
        person.slash("send 59891000001 updated only when it changes")
        wait_for(lambda: channel_posts(slack, person.channel))
        hey_id = still_sim.messages()[-1]["id"]
        still_sim.control(f"/_sim/messages/{hey_id}/status", {"status": "LU"})
        wait_for(lambda: len(thread_replies(slack, person.channel)) == 2)
        time.sleep(1)
        updates = updates_in(slack, person.channel)
        assert len(updates) == 1 and app_says("status.read.whatsapp") in updates[0]
    finally:
        app.stop()
