"""The local console: type `/heynow ...`, see what Slack would show.

Each line becomes a slash command signed with the app's signing secret and posted to the app's
own /slack/events, so it takes exactly the path a real command takes.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import re
import sys
import time
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import urlencode

import httpx

from bot.local.standin import LOCAL_TEAM, SlackCall

LOCAL_CHANNEL = "C0LOCAL"
LOCAL_USER = "U0LOCAL"
_DATE = re.compile(r"<!date\^(\d+)\^[^|>]*\|[^>]*>")


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def as_text(call_body: dict[str, Any]) -> str:
    """A Slack message as terminal text: blocks flattened, mentions and dates made readable."""
    parts: list[str] = []
    for block in call_body.get("blocks") or []:
        if block.get("type") in ("section", "header") and block.get("text"):
            parts.append(block["text"]["text"])
        elif block.get("type") == "context":
            parts.append("  " + " ".join(e.get("text", "") for e in block.get("elements", [])))
        elif block.get("type") == "actions":
            parts.append(
                "  "
                + " ".join(
                    f"[{e['text']['text']}]" for e in block.get("elements", []) if e.get("text")
                )
            )
    text = "\n".join(parts) or str(call_body.get("text", ""))
    text = _DATE.sub(lambda m: datetime.fromtimestamp(int(m.group(1))).strftime("%H:%M:%S"), text)
    text = re.sub(r"<@(\w+)>", r"@\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Console:
    def __init__(
        self,
        *,
        app_url: str,
        standin_url: str,
        signing_secret: str,
        out: TextIO = sys.stdout,
        log_path: str | None = None,
    ) -> None:
        self.app_url = app_url.rstrip("/")
        self.standin_url = standin_url.rstrip("/")
        self.secret = signing_secret
        self.out = out
        self.log_path = log_path  # where the whole log goes, for the banner to say
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=10)

    def show(self, call: SlackCall) -> None:
        """Print one thing the app sent to Slack, the way a person would see it."""
        body = call.body
        if call.method == "response_url":
            prefix = "(only you can see this)"
        elif call.method == "chat.postMessage" and body.get("thread_ts"):
            prefix = "  ↳ in the thread:"
        elif call.method == "chat.postMessage":
            prefix = f"#{body.get('channel')} Hey Now:"
        elif call.method == "chat.update":
            prefix = "  (the message is updated)"
        elif call.method == "views.open":
            self._print(
                "[A form opened. The terminal cannot show forms: type `/heynow send CLIENT TEXT`.]"
            )
            return
        else:
            return
        self._print(f"{prefix}\n{_indent(as_text(body))}")

    def command(self, line: str) -> None:
        text = re.sub(r"^\s*/?heynow\b", "", line).strip()
        n = next(self._ids)
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        body = urlencode(
            {
                "token": "local",
                "team_id": LOCAL_TEAM,
                "team_domain": "local",
                "channel_id": LOCAL_CHANNEL,
                "channel_name": "general",
                "user_id": LOCAL_USER,
                "user_name": "you",
                "command": "/heynow",
                "text": escaped,
                "api_app_id": "A0LOCAL",
                "response_url": f"{self.standin_url}/respond/{n}",
                "trigger_id": f"local.{time.time_ns()}.{n}",
            }
        ).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(self.secret, body)}
        response = self._http.post(f"{self.app_url}/slack/events", content=body, headers=headers)
        if response.status_code != 200:
            self._print(f"(the app answered HTTP {response.status_code})")
        elif response.content:  # the ack: JSON, or plain text when it holds only text
            is_json = response.headers.get("content-type", "").startswith("application/json")
            self.show(
                SlackCall("response_url", response.json() if is_json else {"text": response.text})
            )

    def loop(self, stdin: TextIO = sys.stdin) -> None:
        self._print(
            "Local mode: Slack is simulated here. Type a command, e.g.\n"
            "  /heynow send 091000001 Hello Ana!\n"
            "  /heynow agenda\n"
            "  /heynow help\n"
            "Delivery (two ticks) and reading (blue ticks) arrive in the thread within about half a minute.\n"
            "`exit` quits." + (f" The log is in {self.log_path}." if self.log_path else "")
        )
        while True:
            self.out.write("heynow> ")
            self.out.flush()
            line = stdin.readline()
            if not line or line.strip() in ("exit", "quit"):
                return
            if line.strip():
                try:
                    self.command(line)
                except httpx.HTTPError as exc:
                    self._print(f"(could not reach the app: {exc})")

    def note(self, text: str) -> None:
        """A line from the app itself (a log record), not from Slack."""
        self._print(text)

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


class ConsoleLog(logging.Handler):
    """Log records at WARNING and above, shown in the console on lines of their own, marked
    `[log]` so that they cannot be taken for something Slack shows. A traceback stays in the
    log file: the console gets its record's first line."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            first, _, _ = record.getMessage().partition("\n")
            self.console.note(f"[log] {record.levelname} {record.name}: {first}")
        except Exception:
            self.handleError(record)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
