"""In-process listener tests, in the style of bolt-python's scenario tests.

The real Runtime (build_runtime) runs in the test process with its jobs started: Slack is a
recording SlackStandIn served on loopback, Hey Now is the embedded simulator. A test builds a
request body as Slack would send it, signs it with SignatureVerifier, calls
`runtime.bolt.dispatch(BoltRequest(...))`, and asserts on the BoltResponse and on the calls the
stand-in received. Every Block Kit payload met on the way (an ack's blocks, a post, a
response_url answer, a view) is validated with slack_sdk's model classes.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_bolt import BoltRequest, BoltResponse
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from slack_sdk.signature import SignatureVerifier

from bot.app import Runtime
from bot.local.console import as_text
from bot.local.standin import SlackCall, SlackStandIn
from tests.e2e.harness import demo_world
from tests.e2e.harness import wait_for as e2e_wait_for

SIGNING_SECRET = "listener-tests-signing-secret"
BOT_TOKEN = "xoxb-listener-tests"
TEAM = "T0LISTEN"
OTHER_TEAM = "T0OTHER"
APP_ID = "A0LISTEN"
TWITTER = "3:1460000000000000001"  # 34 contacts in the test world: three agenda pages
# Calls whose Block Kit payload Slack would check.
MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url")
VIEW_METHODS = ("views.open", "views.update", "views.push", "views.publish")

_ids = count(1)


def app_env(slack_url: str, database: Path, **extra: str) -> dict[str, str]:
    """The app's settings: Slack is the stand-in, Hey Now the embedded simulator (no
    HEYNOW_URL), polls short, as in tests/e2e/harness.py."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url + "/api/",
        "DATABASE_PATH": str(database),
        "HEYNOW_POLL_SECONDS": "0.2",
        "HEYNOW_POLL_MAX_SECONDS": "0.4",
        "HEYNOW_TIMEOUT_SECONDS": "3",
        "SLACK_TIMEOUT_SECONDS": "3",
        "LOG_LEVEL": "INFO",
        "HEYNOW_SIMULATOR": "true",  # a workspace on the simulator, on purpose
        "HEYNOW_LANGUAGE": "en",  # for users whose profile says no locale (most tests')
        "HEYNOW_DIGEST_TIME": "off",  # no digest in HEYNOW_NOTIFY_CHANNEL unless a test asks
        **extra,
    }


def listener_world() -> dict[str, Any]:
    """The demo world, with statuses that stay put unless a test moves them, a contact whose
    name tries to ping everyone, and a Twitter agenda of 34 contacts (three pages of 15)."""
    world = demo_world(twitter_contacts=34)
    world["status_step_seconds"] = 100_000
    return world


def wait_for(check: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
    """Poll until `check()` is truthy and return its value (fast polls: all is in-process)."""
    return e2e_wait_for(check, timeout, interval)


def new_trigger() -> str:
    return f"{next(_ids)}{uuid.uuid4().int % 10**9}.{uuid.uuid4().hex[:12]}"


# -- Block Kit, checked with slack_sdk's models ------------------------------------------------


def check_blocks(blocks: Any, limit: int = 50) -> None:
    """Every block must parse as a known slack_sdk Block and pass its validate_json(); at most
    50 in a message, 100 in a view (a modal, a Home tab)."""
    assert isinstance(blocks, list) and blocks, f"blocks must be a non-empty list: {blocks!r}"
    assert len(blocks) <= limit, f"{len(blocks)} blocks; Slack takes at most {limit} here"
    parsed = Block.parse_all(blocks)
    for raw, block in zip(blocks, parsed, strict=True):
        assert isinstance(block, Block), f"slack_sdk does not know this block: {raw!r}"
        block.validate_json()
        assert block.to_dict() == raw, f"block has keys slack_sdk does not know: {raw!r}"


def check_view(view: Any) -> None:
    assert isinstance(view, dict), f"a view must be an object: {view!r}"
    View(**view).validate_json()
    check_blocks(view["blocks"], limit=100)


def check_call(call: SlackCall) -> None:
    """What Slack would refuse in a call the app made: bad blocks, a bad view, no text."""
    body = call.body
    if call.method in MESSAGE_METHODS:
        if body.get("blocks") is not None:
            check_blocks(body["blocks"])
        assert body.get("text"), f"{call.method} without a notification text: {body!r}"
    elif call.method in VIEW_METHODS:
        check_view(body.get("view"))


# -- what the app answered ----------------------------------------------------------------------


@dataclass
class Ack:
    """The BoltResponse of one dispatch, with the request's trigger_id and the last segment
    of its response_url (`ref`: later answers arrive at the stand-in's /respond/<ref>)."""

    response: BoltResponse
    trigger: str = ""
    ref: str = ""

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def body(self) -> str:
        return str(self.response.body or "")

    @property
    def json(self) -> Any:
        content_type = (self.response.headers.get("content-type") or [""])[0]
        return (
            json.loads(self.body)
            if self.body and content_type.startswith("application/json")
            else None
        )

    @property
    def text(self) -> str:
        """What the person sees: blocks flattened, or the plain text of a text-only ack."""
        data = self.json
        return as_text(data) if isinstance(data, dict) else self.body


def check_ack(ack: Ack) -> None:
    data = ack.json
    if not isinstance(data, dict):
        return
    if "blocks" in data:
        check_blocks(data["blocks"])
        assert data.get("text"), f"an ack with blocks needs a text too: {data!r}"
    if "view" in data:
        check_view(data["view"])
    if data.get("response_action") == "errors":
        errors = data.get("errors")
        assert isinstance(errors, dict) and errors, f"errors must name blocks: {data!r}"
        assert all(isinstance(v, str) and v for v in errors.values()), data


@dataclass
class Sim:
    """The embedded Hey Now simulator's test controls (under /_sim/)."""

    url: str

    def requests(self) -> list[dict[str, Any]]:
        return httpx.get(self.url + "/_sim/requests").json()

    def messages(self) -> list[dict[str, Any]]:
        return httpx.get(self.url + "/_sim/messages").json()

    def fault(self, **fault: Any) -> None:
        """The next request(s) matching method/path answer `status` or come `delay` late."""
        httpx.post(self.url + "/_sim/faults", json=fault).raise_for_status()

    def force_status(self, hey_id: str, status: str) -> None:
        """Move a message Hey Now holds to `?`, `RS`, `RU` or `LU`."""
        url = f"{self.url}/_sim/messages/{hey_id}/status"
        httpx.post(url, json={"status": status}).raise_for_status()

    def sends(self, text: str | None = None) -> list[dict[str, Any]]:
        """The send requests Hey Now received (with this text)."""
        return [
            r
            for r in self.requests()
            if r["method"] == "POST"
            and r["path"].startswith("/api/message/")
            and (text is None or (r.get("body") or {}).get("text") == text)
        ]


@dataclass
class Slack:
    """Slack's side of the app: signs and dispatches requests, reads what the app sent back.

    `user`, `channel` and `team` are the person typing; each test gets a fresh one.
    """

    runtime: Runtime
    standin: SlackStandIn
    url: str
    team: str = TEAM
    user: str = field(default_factory=lambda: "U" + uuid.uuid4().hex[:8].upper())
    channel: str = field(default_factory=lambda: "C" + uuid.uuid4().hex[:8].upper())
    verifier: SignatureVerifier = field(default_factory=lambda: SignatureVerifier(SIGNING_SECRET))

    # -- requests ---------------------------------------------------------------------------

    def headers(
        self, body: str, timestamp: int | None = None, **extra: str
    ) -> dict[str, list[str]]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "content-type": ["application/x-www-form-urlencoded"],
            "x-slack-signature": [self.verifier.generate_signature(timestamp=ts, body=body)],
            "x-slack-request-timestamp": [ts],
        }
        headers.update({k.lower().replace("_", "-"): [v] for k, v in extra.items()})
        return headers

    def dispatch(
        self,
        body: str,
        headers: dict[str, list[str]] | None = None,
        trigger: str = "",
        ref: str = "",
    ) -> Ack:
        request = BoltRequest(body=body, headers=headers or self.headers(body))
        ack = Ack(self.runtime.bolt.dispatch(request), trigger, ref)
        check_ack(ack)
        return ack

    def command_body(
        self, text: str, *, trigger: str | None = None, team: str | None = None
    ) -> tuple[str, str]:
        trigger = trigger or new_trigger()
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        body = urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": team or self.team,
                "team_domain": "listeners",
                "channel_id": self.channel,
                "channel_name": "support",
                "user_id": self.user,
                "user_name": "agent",
                "command": "/heynow",
                "text": escaped,
                "api_app_id": APP_ID,
                "is_enterprise_install": "false",
                "response_url": f"{self.url}/respond/{trigger}",
                "trigger_id": trigger,
            }
        )
        return body, trigger

    def command(
        self, text: str, *, trigger: str | None = None, team: str | None = None, **headers: str
    ) -> Ack:
        """Type `/heynow <text>`; extra keyword arguments become request headers."""
        body, trigger = self.command_body(text, trigger=trigger, team=team)
        return self.dispatch(body, self.headers(body, **headers), trigger, ref=trigger)

    def interact(self, payload: dict[str, Any], ref: str = "", **headers: str) -> Ack:
        payload = {
            "team": {"id": self.team, "domain": "listeners"},
            "user": {"id": self.user, "username": "agent", "team_id": self.team},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": new_trigger(),
            **payload,
        }
        body = urlencode({"payload": json.dumps(payload)})
        return self.dispatch(body, self.headers(body, **headers), payload["trigger_id"], ref)

    def click(
        self,
        button: dict[str, Any],
        *,
        block_id: str,
        ref: str | None = None,
        in_channel: bool = True,
    ) -> Ack:
        """Click a button of a message; the answer goes to /respond/<ref>."""
        ref = ref or "click-" + uuid.uuid4().hex[:8]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "container": {"type": "message", "message_ts": "1.000001", "is_ephemeral": True},
            "response_url": f"{self.url}/respond/{ref}",
            "actions": [
                {
                    "type": "button",
                    "block_id": block_id,
                    "action_ts": f"{time.time():.6f}",
                    **button,
                }
            ],
        }
        if in_channel:
            payload["channel"] = {"id": self.channel, "name": "support"}
        return self.interact(payload, ref)

    def submit(
        self, view: dict[str, Any], values: dict[str, Any], *, trigger: str | None = None
    ) -> Ack:
        """Submit a modal as Slack holds it (with its id and hash) with these input values."""
        submitted = {**view, "state": {"values": values}}
        payload = {"type": "view_submission", "view": submitted, "response_urls": []}
        if trigger:
            payload["trigger_id"] = trigger
        ack = self.interact(payload)
        data = ack.json
        if isinstance(data, dict) and data.get("response_action") == "errors":
            inputs = {b.get("block_id") for b in view["blocks"] if b["type"] == "input"}
            unknown = set(data["errors"]) - inputs
            assert not unknown, f"errors name blocks the form does not have: {unknown}"
        return ack

    # -- what Slack received ------------------------------------------------------------------

    def calls(self, method: str) -> list[SlackCall]:
        found = self.standin.of(method)
        for call in found:
            check_call(call)
        return found

    def responses(self, ref: str) -> list[dict[str, Any]]:
        """What the app posted to the response_url /respond/<ref>."""
        return [c.body for c in self.calls("response_url") if c.ref == ref]

    def response(self, ref: str) -> dict[str, Any]:
        """The first answer to /respond/<ref>, once it arrives."""
        return wait_for(lambda: self.responses(ref))[0]

    def answer(self, text: str) -> str:
        """Type a look-up and return what it answers through response_url, as text."""
        ack = self.command(text)
        assert ack.status == 200 and ack.body == "", (ack.status, ack.body)
        return as_text(self.response(ack.ref))

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """The top-level chat.postMessage posts in a channel (a send's tracking post)."""
        channel = channel or self.channel
        return [
            c.body
            for c in self.calls("chat.postMessage")
            if c.body.get("channel") == channel and not c.body.get("thread_ts")
        ]

    def opened_views(self, trigger: str) -> list[dict[str, Any]]:
        return [
            c.body["view"] for c in self.calls("views.open") if c.body.get("trigger_id") == trigger
        ]

    def as_slack_holds_it(self, view: dict[str, Any]) -> dict[str, Any]:
        """An opened view as Slack sends it back: with its id, hash and team."""
        return {
            **view,
            "id": "V" + uuid.uuid4().hex[:10].upper(),
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "team_id": self.team,
            "app_id": APP_ID,
            "root_view_id": None,
            "previous_view_id": None,
        }


def form_values(
    client: str, text: str, platform: str = "1:59899000001", no_validate: bool = False
) -> dict[str, Any]:
    """The send form's state.values as Slack sends them."""
    selected = (
        [
            {
                "text": {"type": "plain_text", "text": "Send even if not in the agenda"},
                "value": "no-validate",
            }
        ]
        if no_validate
        else []
    )
    return {
        "platform": {"value": {"type": "plain_text_input", "value": platform}},
        "client": {"value": {"type": "plain_text_input", "value": client}},
        "text": {"value": {"type": "plain_text_input", "value": text}},
        "options": {"value": {"type": "checkboxes", "selected_options": selected}},
    }


class Database:
    """The app's database read through a connection of its own, as another process would."""

    def __init__(self, path: str) -> None:
        self.path = path

    def rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def messages(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM messages ORDER BY id")


def settled(runtime: Runtime) -> bool:
    """No send waits for a worker and no Slack call is owed: what will happen has happened."""
    return (
        runtime.store.messages.queued_count() == 0
        and not runtime.store._db.rows(  # noqa: SLF001 (a test reads the state directly)
            "SELECT 1 FROM messages WHERE send_state = 'sending'"
        )
        and runtime.store.outbox.due_count() == 0
    )


def health(runtime: Runtime) -> tuple[str, dict[str, Any]]:
    """GET /healthz through the app's WSGI face."""
    answered: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "QUERY_STRING": ""}
    body = b"".join(runtime.wsgi()(environ, lambda status, headers: answered.append(status)))
    return answered[0], json.loads(body)
