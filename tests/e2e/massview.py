"""Mass sends as the people of the end-to-end tests meet them: the form typed and submitted,
the approval post's buttons clicked, and what Slack and Hey Now then hold, read off the
recording stand-in and the simulator process."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.local.console import as_text
from bot.local.standin import SlackStandIn
from tests.e2e.harness import AppProcess, SimulatorProcess, SlackUser, wait_for
from tests.e2e.slackview import replies_to

MESSENGER = "2:104857600123456"  # does not validate contacts: mass sends go out
WHATSAPP = "1:59899000001"  # validates contacts: Hey Now answers masiveMessage with 403
BOSS, OTHER_BOSS = "U0MASSBOSS1", "U0MASSBOSS2"
UNFINISHED = ("pending", "approved", "running", "paused")


def mass_env(approvals: str, **extra: str) -> dict[str, str]:
    """The mass-send settings of an app under test (HEYNOW_* as an operator writes them)."""
    return {
        "HEYNOW_APPROVALS_CHANNEL": approvals,
        "HEYNOW_APPROVERS": f"{BOSS} {OTHER_BOSS}",
        "HEYNOW_MASS_PLATFORMS": f"{MESSENGER}=Facebook",
        "HEYNOW_MASS_RATE": "200",
        **extra,
    }


def new_channel() -> str:
    return "C0M" + uuid.uuid4().hex[:8].upper()


def new_trigger() -> str:
    return f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:12]}"


def clients(count: int) -> list[str]:
    """Messenger ids no other test uses (Hey Now's ids there are opaque words)."""
    prefix = "7" + str(uuid.uuid4().int)[:9]
    return [f"{prefix}{n:03d}" for n in range(1, count + 1)]


@dataclass
class Post:
    """A mass send's approval post: where it is, and which request it shows."""

    channel: str
    ts: str
    request: int
    body: dict[str, Any]


@dataclass
class MassApp:
    """An app process with mass sends set up, its approvals channel and its database."""

    app: AppProcess
    slack: SlackStandIn
    sim: SimulatorProcess
    approvals: str
    database: Path
    env: dict[str, str] = field(default_factory=dict)  # to start it again on its database

    def restart(self) -> None:
        """A new app process on the same database (after a kill, say)."""
        self.app = AppProcess(self.database.parent, self.env)

    # -- people ---------------------------------------------------------------------------

    def person(self, user: str | None = None, channel: str | None = None) -> SlackUser:
        someone = SlackUser(self.app, self.slack.url)
        if user:
            someone.user = user
        if channel:
            someone.channel = channel
        return someone

    def boss(self, which: int = 0) -> SlackUser:
        return self.person((BOSS, OTHER_BOSS)[which], self.approvals)

    # -- the form -------------------------------------------------------------------------

    def open_form(self, person: SlackUser) -> dict[str, Any]:
        response, trigger = person.slash("mass")
        assert response.status_code == 200, response.text
        view = wait_for(lambda: opened(self.slack, trigger))[0]
        assert view["callback_id"] == "heynow_mass_form"
        return view

    def submit(self, person: SlackUser, view: dict[str, Any], values: dict[str, Any]) -> Any:
        """Submit a modal as Slack holds it (with its id and hash); the ack's JSON, or None
        when the form closes."""
        held = {
            **view,
            "id": "V" + uuid.uuid4().hex[:10].upper(),
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "team_id": "T0E2E",
            "state": {"values": values},
        }
        response = person.interact(
            {"type": "view_submission", "trigger_id": new_trigger(), "view": held}
        )
        assert response.status_code == 200, response.text
        return response.json() if response.content else None

    def ask(self, person: SlackUser, **values: Any) -> Post:
        """Open the form, fill it in, submit it; the approval post it makes."""
        ack = self.submit(person, self.open_form(person), mass_values(**values))
        assert ack is None, ack  # the form closes: the request is stored
        return self.post_of(person.user)

    def post_of(self, requester: str) -> Post:
        def found() -> Post | None:
            for call in self.slack.of("chat.postMessage"):
                body = call.body
                if body.get("channel") != self.approvals or body.get("thread_ts"):
                    continue
                if f"<@{requester}>" in json.dumps(body.get("blocks")):
                    request = request_in(body)
                    ts = self._ts_of(request)
                    return Post(self.approvals, ts, request, body) if ts else None
            return None

        return wait_for(found)

    def _ts_of(self, request: int) -> str | None:
        for message in list(self.slack.history.get(self.approvals, [])):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == f"q{request}:post":
                return str(message["ts"])
        return None

    # -- the post's buttons ---------------------------------------------------------------

    def click(self, person: SlackUser, blocks: list[dict[str, Any]], action_id: str) -> str:
        """Click a button the post shows; what the app answers the clicker (as text)."""
        ref = self.press(person, blocks, action_id)
        return wait_for(lambda: replies_to(self.slack, ref))[0]

    def press(
        self,
        person: SlackUser,
        blocks: list[dict[str, Any]],
        action_id: str,
        trigger: str | None = None,
    ) -> str:
        element, block_id = button(blocks, action_id)
        ref = "click-" + uuid.uuid4().hex[:10]
        payload = {
            "type": "block_actions",
            "trigger_id": trigger or new_trigger(),
            "container": {
                "type": "message",
                "message_ts": "1.000001",
                "channel_id": person.channel,
            },
            "channel": {"id": person.channel, "name": "approvals"},
            "response_url": f"{self.slack.url}/respond/{ref}",
            "actions": [
                {
                    "type": "button",
                    "block_id": block_id,
                    "action_ts": f"{time.time():.6f}",
                    **element,
                }
            ],
        }
        response = person.interact(payload)
        assert response.status_code == 200, response.text
        return ref

    def shown_with(self, post: Post, action_id: str, timeout: float = 2) -> list[dict[str, Any]]:
        """The newest drawing of the post, once it offers `action_id`: a decision shows on the
        post at once (within the outbox's turn), not when some later redraw comes round."""

        def offered() -> list[dict[str, Any]] | None:
            drawn = drawings(self.slack, post)
            newest = drawn[-1] if drawn else post.body
            return newest["blocks"] if has_button(newest["blocks"], action_id) else None

        return wait_for(offered, timeout=timeout)

    # -- what the app holds ---------------------------------------------------------------

    def recipients(self, request: int) -> list[dict[str, Any]]:
        with sqlite3.connect(self.database) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT * FROM mass_recipients WHERE request_id = ? ORDER BY position", [request]
            ).fetchall()
        return [dict(r) for r in rows]

    def state(self, request: int) -> str:
        with sqlite3.connect(self.database) as db:
            row = db.execute("SELECT state FROM mass_requests WHERE id = ?", [request]).fetchone()
        return str(row[0]) if row else ""

    def tidy(self) -> None:
        """Cancel what a test left unfinished, so that the next one's run is not behind it
        (the run sends the oldest running request first)."""
        with sqlite3.connect(self.database) as db:
            left = [
                r[0]
                for r in db.execute(
                    f"SELECT id FROM mass_requests WHERE state IN ({', '.join('?' * 4)})",
                    UNFINISHED,
                )
            ]
        boss = self.boss()
        for request in left:
            blocks = [
                {
                    "type": "actions",
                    "block_id": f"mass_{request}",
                    "elements": [
                        {"action_id": "mass_cancel", "value": json.dumps({"request": request})}
                    ],
                }
            ]
            self.press(boss, blocks, "mass_cancel")
        if left:
            wait_for(lambda: all(self.state(r) not in UNFINISHED for r in left))


def mass_values(
    recipients: str = "",
    text: str = "Cerramos mañana",
    platform: str = MESSENGER,
    file: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "platform": {"value": {"type": "static_select", "selected_option": {"value": platform}}},
        "recipients": {"value": {"type": "plain_text_input", "value": recipients}},
        "file": {"value": {"type": "file_input", "files": [file] if file else []}},
        "text": {"value": {"type": "plain_text_input", "value": text}},
        "not_before": {"value": {"type": "datetimepicker", "selected_date_time": None}},
    }


def opened(slack: SlackStandIn, trigger: str) -> list[dict[str, Any]]:
    return [c.body["view"] for c in slack.of("views.open") if c.body.get("trigger_id") == trigger]


def request_in(body: dict[str, Any]) -> int:
    """The request id the post's buttons carry."""
    for block in body.get("blocks") or []:
        for element in block.get("elements") or []:
            value = element.get("value")
            if isinstance(value, str) and '"request"' in value:
                return int(json.loads(value)["request"])
    raise AssertionError(f"no request in {body}")


def button(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], str]:
    for block in blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element, block["block_id"]
    raise AssertionError(f"no {action_id} button in {blocks}")


def has_button(blocks: list[dict[str, Any]], action_id: str) -> bool:
    return any(e.get("action_id") == action_id for b in blocks for e in (b.get("elements") or []))


def buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        e["action_id"]
        for b in blocks
        if b.get("type") == "actions"
        for e in b.get("elements") or []
    ]


def drawings(slack: SlackStandIn, post: Post) -> list[dict[str, Any]]:
    """Every chat.update of the approval post, oldest first."""
    return [
        c.body
        for c in slack.of("chat.update")
        if c.body.get("channel") == post.channel and c.body.get("ts") == post.ts
    ]


def updates(slack: SlackStandIn, post: Post) -> list[str]:
    return [as_text(body) for body in drawings(slack, post)]


def in_thread(slack: SlackStandIn, post: Post) -> list[dict[str, Any]]:
    return [
        c.body
        for c in slack.of("chat.postMessage")
        if c.body.get("channel") == post.channel and c.body.get("thread_ts") == post.ts
    ]


def top_level(slack: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    return [
        c.body
        for c in slack.of("chat.postMessage")
        if c.body.get("channel") == channel and not c.body.get("thread_ts")
    ]


def reports(slack: SlackStandIn, post: Post) -> list[dict[str, Any]]:
    """The files shared in the approval post's thread, in the order they were uploaded."""
    with slack._lock:
        files = [dict(f) for f in slack.files.values()]
    return [
        f
        for f in files
        if any(s["channel"] == post.channel and s["thread_ts"] == post.ts for s in f["shares"])
    ]


def report_rows(file: dict[str, Any]) -> list[dict[str, str]]:
    """A CSV report's rows by column (UTF-8 with a BOM; `,` or `;` as the locale lists)."""
    text = file["data"].decode("utf-8")
    assert text.startswith("\ufeff")
    dialect = csv.Sniffer().sniff(text[1:].splitlines()[0], delimiters=",;")
    return list(csv.DictReader(io.StringIO(text[1:]), dialect=dialect))


def dms(slack: SlackStandIn, user: str) -> list[str]:
    """What the app wrote to a person directly (conversations.open answers the user's id)."""
    return [c.body["text"] for c in slack.of("chat.postMessage") if c.body.get("channel") == user]


def mass_calls(sim: SimulatorProcess, ids: list[str]) -> list[dict[str, Any]]:
    """The masiveMessage requests that reached the simulator for these clients."""
    wanted = set(ids)
    return [
        r
        for r in sim.requests()
        if r["method"] == "POST"
        and r["path"].startswith("/api/masiveMessage/")
        and r["path"].rsplit("/", 1)[1] in wanted
    ]


def reached(sim: SimulatorProcess, ids: list[str]) -> list[dict[str, Any]]:
    """The messages the simulator holds (it took them) for these clients."""
    wanted = set(ids)
    return [m for m in sim.messages() if m["client_id"] in wanted]


def fault(sim: SimulatorProcess, client: str, **what: Any) -> None:
    """The simulator answers masiveMessage for `client` (a path prefix) as told."""
    sim.control(
        "/_sim/faults",
        {"method": "POST", "path": f"/api/masiveMessage/2/104857600123456/{client}", **what},
    )


def healthy(app: AppProcess) -> bool:
    try:
        return httpx.get(app.url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
