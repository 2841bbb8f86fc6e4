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
import threading
import time
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import urlencode

import httpx

from bot.i18n import Texts, current
from bot.local.standin import LOCAL_TEAM, SlackCall

try:
    import readline  # line editing and history for input(), where the platform has it
except ImportError:  # pragma: no cover (Windows)
    readline = None  # type: ignore[assignment]

LOCAL_CHANNEL = "C0LOCAL"
LOCAL_USER = "U0LOCAL"
PROMPT = "heynow> "
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
    """Reads commands at the `heynow> ` prompt and prints what Slack would show.

    Everything printed goes through one lock, whole, so that two things never mix on a line:
    what the app posts while a command is being answered is held until the command's ack is
    printed, and what comes while the person is typing is printed above the prompt, which is
    then drawn again with what they had typed. At a terminal, lines are read with `readline`:
    the arrow keys edit the line and go through the commands typed before.
    """

    def __init__(
        self,
        *,
        app_url: str,
        standin_url: str,
        signing_secret: str,
        out: TextIO = sys.stdout,
        log_path: str | None = None,
        texts: Texts | None = None,
    ) -> None:
        self.texts = texts or current()  # its own words: HEYNOW_LANGUAGE's, from the cli
        self.app_url = app_url.rstrip("/")
        self.standin_url = standin_url.rstrip("/")
        self.secret = signing_secret
        self.out = out
        self.log_path = log_path  # where the whole log goes, for the banner to say
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=10)
        self._lock = threading.Lock()
        self._held: list[str] | None = None  # while a command is answered: what came meanwhile
        self._prompting = False  # the prompt is on the screen, the person typing after it
        self._line_editing = False  # and readline holds what they typed

    def show(self, call: SlackCall) -> None:
        """Print one thing the app sent to Slack, the way a person would see it."""
        text = self.render(call)
        if text is not None:
            self._emit(text)

    def note(self, text: str) -> None:
        """Print a line from the app itself (a log record), not from Slack."""
        self._emit(text)

    def render(self, call: SlackCall) -> str | None:
        body = call.body
        if call.method == "response_url":
            prefix = self.texts("console.only_you")
        elif call.method == "chat.postMessage" and body.get("thread_ts"):
            prefix = "  " + self.texts("console.in_thread")
        elif call.method == "chat.postMessage":
            prefix = f"#{body.get('channel')} Hey Now:"
        elif call.method == "chat.update":
            prefix = "  " + self.texts("console.updated")
        elif call.method == "views.open":
            return self.texts("console.form")
        else:
            return None
        return f"{prefix}\n{_indent(as_text(body))}"

    def command(self, line: str) -> None:
        """Send `line` to the app as a slash command; print its ack, then what came meanwhile."""
        with self._lock:
            self._held = []
        answer = None
        try:
            answer = self._ask(line)
        except httpx.HTTPError as exc:
            answer = self.texts("console.unreachable", error=exc)
        finally:
            with self._lock:
                held, self._held = self._held or [], None
                self._write("".join(text + "\n" for text in [answer, *held] if text))

    def _ask(self, line: str) -> str | None:
        """The ack of `line` as the terminal shows it."""
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
            return self.texts("console.http_error", status=response.status_code)
        if not response.content:
            return None
        is_json = response.headers.get("content-type", "").startswith("application/json")
        ack = response.json() if is_json else {"text": response.text}  # plain text: only text
        return self.render(SlackCall("response_url", ack))

    def loop(self, stdin: TextIO = sys.stdin) -> None:
        intro = self.texts("console.intro")
        if self.log_path:
            intro += "\n" + self.texts("console.log_file", path=self.log_path)
        self._emit(intro)
        while True:
            line = self._read_line(stdin)
            if line is None or line.strip() in ("exit", "quit"):
                return
            if line.strip():
                self.command(line)

    def _read_line(self, stdin: TextIO) -> str | None:
        """The next line typed; None at the end of input."""
        editing = readline is not None and stdin is sys.stdin and self.out is sys.stdout
        editing = editing and stdin.isatty() and self.out.isatty()  # when input() uses readline
        with self._lock:
            self._prompting, self._line_editing = True, editing
            if not editing:
                self._write(PROMPT)
        try:
            if not editing:
                return stdin.readline() or None
            try:
                return input(PROMPT)  # readline's, since readline is imported
            except EOFError:  # ctrl-D
                self._write("\n")
                return None
            except KeyboardInterrupt:  # ctrl-C: the shell's prompt on a line of its own
                self._write("\n")
                raise
        finally:
            with self._lock:
                self._prompting = self._line_editing = False

    def _emit(self, text: str) -> None:
        with self._lock:
            if self._held is not None:
                self._held.append(text)
            elif not self._prompting:
                self._write(text + "\n")
            elif self._line_editing and readline is not None:
                # Over the prompt line: the text, then the prompt and what was typed, again.
                typed = readline.get_line_buffer()
                self._write(f"\r\x1b[K{text}\n{PROMPT}{typed}")
            else:
                self._write(f"\n{text}\n{PROMPT}")

    def _write(self, text: str) -> None:
        self.out.write(text)
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
