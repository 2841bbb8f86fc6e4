"""A stand-in for the Slack Web API and for response_url: answers like Slack, records every call.

Local mode prints what it receives; the tests read `calls` to see what Slack would have shown,
and can make a method answer 429 or make a channel unusable.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

LOCAL_TEAM = "T0LOCAL"
BOT_USER = "U0HEYNOW"


@dataclass
class SlackCall:
    """One request received: a Web API method (`chat.postMessage`) or `response_url`."""

    method: str
    body: dict[str, Any]
    at: float = field(default_factory=time.time)
    answered: int = 200
    ref: str = ""  # for response_url: the last path segment, which says which request it answers


class SlackStandIn:
    def __init__(
        self, *, token: str | None = None, on_call: Callable[[SlackCall], None] | None = None
    ) -> None:
        self.token = token
        self.on_call = on_call
        self.calls: list[SlackCall] = []
        self.rate_limited: dict[str, tuple[int, int]] = {}  # method -> (answers left, Retry-After)
        self.unusable_channels: set[str] = set()
        self.socket_mode_url: str | None = None  # what apps.connections.open hands out
        self._lock = threading.Lock()
        self._counter = 0

    # -- what tests use -------------------------------------------------------------------

    def rate_limit(self, method: str, count: int = 1, retry_after: int = 1) -> None:
        with self._lock:
            self.rate_limited[method] = (count, retry_after)

    def of(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.answered == 200]

    # -- WSGI -----------------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        body = _read_body(environ)
        if path.startswith("/respond/"):
            call = SlackCall("response_url", body, ref=path.rsplit("/", 1)[-1])
            return self._record_and_answer(call, start_response, {"ok": True})
        method = path.removeprefix("/api/")
        if method == "apps.connections.open":  # called with the app-level token
            return self._record_and_answer(
                SlackCall(method, body), start_response, self._socket_url(environ)
            )
        if (
            self.token
            and environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}"
            and body.get("token") != self.token
        ):
            return _answer(start_response, 200, {"ok": False, "error": "invalid_auth"})
        with self._lock:
            left, retry_after = self.rate_limited.get(method, (0, 0))
            if left > 0:
                self.rate_limited[method] = (left - 1, retry_after)
                self.calls.append(SlackCall(method, body, answered=429))
                return _answer(
                    start_response,
                    429,
                    {"ok": False, "error": "ratelimited"},
                    [("Retry-After", str(retry_after))],
                )
        return self._record_and_answer(
            SlackCall(method, body), start_response, self._result(method, body)
        )

    def _record_and_answer(
        self, call: SlackCall, start_response: Any, result: dict[str, Any]
    ) -> Iterable[bytes]:
        if result.get("ok"):
            with self._lock:
                self.calls.append(call)
            if self.on_call:
                self.on_call(call)
        return _answer(start_response, 200, result)

    def _socket_url(self, environ: dict[str, Any]) -> dict[str, Any]:
        if not self.socket_mode_url or not environ.get("HTTP_AUTHORIZATION", "").startswith(
            "Bearer xapp-"
        ):
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_mode_url}

    def _result(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        channel = str(body.get("channel", ""))
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://local.invalid/",
                "team": "Local",
                "user": "heynow",
                "team_id": LOCAL_TEAM,
                "user_id": BOT_USER,
                "bot_id": "B0HEYNOW",
            }
        if (
            method in ("chat.postMessage", "chat.postEphemeral")
            and channel in self.unusable_channels
        ):
            return {"ok": False, "error": "not_in_channel"}
        if method == "chat.postMessage":
            return {
                "ok": True,
                "channel": channel,
                "ts": self._next_ts(),
                "message": {"text": body.get("text")},
            }
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": body.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in ("views.open", "views.update", "views.push"):
            return {
                "ok": True,
                "view": {**(body.get("view") or {}), "id": f"V{self._next_ts().replace('.', '')}"},
            }
        return {"ok": True}

    def _next_ts(self) -> str:
        with self._lock:
            self._counter += 1
            return f"{int(time.time())}.{self._counter:06d}"


def _read_body(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length).decode() if length else ""
    if "json" in environ.get("CONTENT_TYPE", ""):
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    fields = {k: v[0] for k, v in parse_qs(raw).items()}
    for key in ("blocks", "view"):  # form-encoded calls send these as JSON strings
        if isinstance(fields.get(key), str):
            with contextlib.suppress(ValueError):
                fields[key] = json.loads(fields[key])
    return fields


def _answer(
    start_response: Any,
    status: int,
    data: dict[str, Any],
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    payload = json.dumps(data).encode()
    reason = "OK" if status == 200 else "Too Many Requests"
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), *(headers or [])])
    return [payload]
