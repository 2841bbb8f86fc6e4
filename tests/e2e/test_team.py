"""Notifications end to end: the app process, a Hey Now simulator process of its own (whose
agenda this test changes) and the Slack stand-in. None on the first look; one post per new
contact, whose buttons work; one alert per outage and one recovery notice."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from bot.local.console import as_text
from tests.e2e.harness import (
    APP_TEXTS,
    AppProcess,
    SimulatorProcess,
    SlackUser,
    app_env,
    demo_world,
    wait_for,
)
from tests.e2e.slackview import channel_posts

NOTIFY = "C0E2ENOTIFY"


@pytest.fixture
def team(tmp_path, slack):
    sim = SimulatorProcess(tmp_path, demo_world(), step_seconds=0.3)
    env = app_env(
        slack.url,
        sim.url,
        tmp_path / "team.db",
        HEYNOW_NOTIFY_CHANNEL=NOTIFY,
        HEYNOW_AGENDA_POLL_MINUTES="0.01",
        HEYNOW_RECOVERY_SECONDS="0.5",
    )
    app = AppProcess(tmp_path, env)
    yield app, sim
    app.stop()
    sim.stop()


def click(person: SlackUser, button: dict, ref: str) -> httpx.Response:
    return person.interact(
        {
            "type": "block_actions",
            "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:12]}",
            "container": {"type": "message", "message_ts": "1.1"},
            "channel": {"id": NOTIFY},
            "response_url": f"{person.slack_url}/respond/{ref}",
            "actions": [{"type": "button", "block_id": "team_contact", "action_ts": "1", **button}],
        }
    )


def test_new_contacts_and_an_outage_reach_the_team_once(team, slack):
    app, sim = team
    requests_for_agenda = lambda: [  # noqa: E731
        r
        for r in sim.requests()
        if r["method"] == "GET" and r["path"] == "/api/contact/1/59899000001"
    ]
    wait_for(lambda: len(requests_for_agenda()) >= 2)  # two looks: the snapshot and a diff
    assert channel_posts(slack, NOTIFY) == []

    contact = {"client_id": "59891000091", "first_name": "Inés", "last_name": "Nueva"}
    sim.control("/_sim/contacts", {"channel": 1, "platform_id": "59899000001", "contact": contact})
    post = wait_for(lambda: channel_posts(slack, NOTIFY))[0]
    assert "Inés Nueva" in as_text(post)
    actions = next(b for b in post["blocks"] if b["type"] == "actions")["elements"]
    take = next(a for a in actions if a["action_id"] == "team_take")
    first, second = SlackUser(app, slack.url), SlackUser(app, slack.url)
    assert click(first, take, "take-1").status_code == 200
    assert click(second, take, "take-2").status_code == 200
    told = wait_for(lambda: [c.body for c in slack.of("response_url") if c.ref == "take-2"])[0]
    assert f"<@{first.user}>" in told["text"]
    wait_for(lambda: [c for c in slack.of("chat.update") if c.body.get("channel") == NOTIFY])
    time.sleep(1.5)  # later looks find nothing new
    assert len(channel_posts(slack, NOTIFY)) == 1

    sim.control("/_sim/faults", {"path": "/api/", "status": 503, "count": 100_000})  # all down
    person = SlackUser(app, slack.url)
    for n in range(4):
        person.slash(f"send 091000001 outage {n}")
    wait_for(lambda: len(channel_posts(slack, NOTIFY)) == 2)  # the outage
    httpx.delete(sim.url + "/_sim/faults").raise_for_status()  # Hey Now is back
    wait_for(lambda: len(channel_posts(slack, NOTIFY)) == 3, timeout=20)  # its end
    texts = [as_text(p) for p in channel_posts(slack, NOTIFY)]
    assert APP_TEXTS("team.todo.outage") in texts[1], texts
    assert APP_TEXTS("team.todo.recovered") in texts[2], texts
    assert APP_TEXTS("team.folded_other", count="4") in texts[2]
    time.sleep(1.5)  # the agenda looks go on: still one alert and one notice
    assert len(channel_posts(slack, NOTIFY)) == 3
