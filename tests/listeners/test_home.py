"""The App Home tab in process: `app_home_opened` publishes the viewer's Home (a sender's, an
approver's), its buttons work from there (a Home has no response_url nor channel), and a click
redraws it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from bot.app import Runtime
from bot.domain import MassState
from bot.i18n import Texts
from bot.local.standin import SlackStandIn
from bot.slack import home_blocks
from tests.listeners.harness import APP_ID, Ack, Database, Slack, settled, wait_for
from tests.listeners.test_mass import APPROVALS, BOSS, MESSENGER, OTHER_BOSS, person, requested

SPANISH = {"locale": "es-LA", "tz": "America/Montevideo"}


@pytest.fixture
def runtime(make_runtime) -> Runtime:
    return make_runtime(
        HEYNOW_APPROVALS_CHANNEL=APPROVALS,
        HEYNOW_APPROVERS=f"{BOSS} {OTHER_BOSS}",
        HEYNOW_MASS_PLATFORMS=f"{MESSENGER}=Facebook,1:59899000001",
        HEYNOW_MASS_RATE="500",
    )


def open_home(slack: Slack, *, tab: str = "home", shown: dict[str, Any] | None = None) -> Ack:
    """Slack's event when `slack.user` opens the app's Home (with the view it shows, if any)."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": slack.user,
        "channel": "D" + uuid.uuid4().hex[:8].upper(),
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    if shown is not None:
        event["view"] = shown
    body = json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": slack.team,
            "api_app_id": APP_ID,
            "type": "event_callback",
            "event": event,
            "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(time.time()),
        }
    )
    headers = slack.headers(body)
    headers["content-type"] = ["application/json"]
    ack = slack.dispatch(body, headers)
    assert ack.status == 200
    return ack


def homes(slack: Slack) -> list[dict[str, Any]]:
    """The Home views published to `slack.user`, oldest first."""
    return [c.body["view"] for c in slack.calls("views.publish") if c.body["user_id"] == slack.user]


def buttons(view: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {b["block_id"]: b["elements"] for b in view["blocks"] if b["type"] == "actions"}


def click_on_home(slack: Slack, view: dict[str, Any], block_id: str, action_id: str) -> Ack:
    """Click a button of the Home tab: the payload names the view, no message, no channel, and
    carries no response_url."""
    element = next(e for e in buttons(view)[block_id] if e["action_id"] == action_id)
    held = {
        **view,
        "id": "VHOME" + uuid.uuid4().hex[:6].upper(),
        "hash": "1.a",
        "team_id": slack.team,
    }
    payload = {
        "type": "block_actions",
        "container": {"type": "view", "view_id": held["id"]},
        "view": {**held, "state": {"values": {}}, "private_metadata": "", "callback_id": ""},
        "actions": [
            {"type": "button", "block_id": block_id, "action_ts": f"{time.time():.6f}", **element}
        ],
    }
    ack = slack.interact(payload)
    assert ack.status == 200
    return ack


def dms(standin: SlackStandIn, user: str) -> list[str]:
    return [c.body["text"] for c in standin.of("chat.postMessage") if c.body["channel"] == user]


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_senders_home_shows_their_messages_and_no_approvals(slack, standin, runtime, language):
    if language == "es":
        standin.people[slack.user] = SPANISH
    texts = Texts.of(language)
    slack.command("send 091000001 Hola desde Home")
    wait_for(slack.posts)
    wait_for(lambda: settled(runtime))
    open_home(slack)
    view = wait_for(lambda: homes(slack))[0]
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert view["type"] == "home"
    assert "Hola desde Home" in shown and texts("home.messages.title") in shown
    assert texts("home.button.new_message") in shown
    assert list(buttons(view)) == ["home_buttons"]  # no approvals: not an approver
    assert runtime.store.home.viewer(slack.user).locale.startswith(language)


def test_the_messages_tab_draws_nothing(slack, runtime):
    open_home(slack, tab="messages")
    time.sleep(0.3)  # nothing to wait for: the listener does nothing
    assert homes(slack) == [] and runtime.store.home.viewer(slack.user) is None


def test_an_approver_approves_from_their_home_once_and_it_is_redrawn(slack, standin, runtime):
    requested(slack)
    boss = person(runtime, standin, BOSS, "D0BOSS")
    open_home(boss)
    view = wait_for(lambda: homes(boss))[0]
    ids = [b["action_id"] for b in buttons(view)["home_pending_1"]]
    assert ids == ["mass_approve", "mass_reject", "mass_test"]
    click_on_home(boss, view, "home_pending_1", "mass_approve")
    wait_for(lambda: runtime.store.mass.get(1).state is not MassState.PENDING)
    redrawn = wait_for(lambda: homes(boss)[1:])[-1]
    assert "home_pending_1" not in buttons(redrawn)
    assert dms(standin, BOSS) == []  # the redrawn Home is the answer
    click_on_home(boss, view, "home_pending_1", "mass_approve")  # the old Home, again
    told = wait_for(lambda: dms(standin, BOSS))
    assert told == [Texts.of("en")("mass.verdict.too_late", id=1, state=_state(runtime))]
    kinds = [e["kind"] for e in runtime.store.mass.events(1)]
    assert kinds.count("approved") == 1


def _state(runtime: Runtime) -> str:
    return Texts.of("en")(f"mass.state.{runtime.store.mass.get(1).state}")


def test_a_stranger_clicking_a_homes_approve_is_told_why_in_their_dm(slack, standin, runtime):
    requested(slack)
    boss = person(runtime, standin, BOSS, "D0BOSS")
    open_home(boss)
    view = wait_for(lambda: homes(boss))[0]
    stranger = person(runtime, standin, "U0NOBODY", "D0NOBODY")
    click_on_home(stranger, view, "home_pending_1", "mass_approve")  # a forged click
    assert wait_for(lambda: dms(standin, "U0NOBODY")) == [
        Texts.of("en")("mass.verdict.not_approver")
    ]
    assert runtime.store.mass.get(1).state is MassState.PENDING


def test_new_message_on_the_home_opens_the_send_form(slack, runtime):
    open_home(slack)
    view = wait_for(lambda: homes(slack))[0]
    ack = click_on_home(slack, view, "home_buttons", home_blocks.NEW_MESSAGE)
    form = wait_for(lambda: slack.opened_views(ack.trigger))[0]
    assert form["callback_id"] == "heynow_send_form"
    assert slack.user in form["private_metadata"]  # its post goes to their DM with the app


def test_new_mass_send_on_the_home_opens_the_mass_form(slack, runtime):
    open_home(slack)
    view = wait_for(lambda: homes(slack))[0]
    ack = click_on_home(slack, view, "home_buttons", home_blocks.NEW_MASS_SEND)
    form = wait_for(lambda: slack.opened_views(ack.trigger))[0]
    assert form["callback_id"] == "heynow_mass_form"


def test_opening_an_unchanged_home_again_publishes_nothing_new(slack, db):
    open_home(slack)
    first = wait_for(lambda: homes(slack))[0]
    open_home(slack, shown={**first, "id": "V1", "hash": "1.a"})
    wait_for(lambda: len(openings_out(db, slack.user)) == 2)
    assert openings_out(db, slack.user)[-1] == "superseded"  # drawn, the same: not sent
    assert len(homes(slack)) == 1


def openings_out(db: Database, user: str) -> list[str]:
    """The states of the redraws `user`'s openings owed, once out of the outbox."""
    rows = db.rows(
        "SELECT state FROM outbox WHERE dedupe_key LIKE ? AND state != 'due' ORDER BY id",
        [f"home:{user}:open:%"],
    )
    return [r["state"] for r in rows]
