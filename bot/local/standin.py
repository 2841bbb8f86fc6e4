"""A stand-in for the Slack Web API and for response_url: answers like Slack, records every call.

Local mode prints what it receives; the tests read `calls` to see what Slack would have shown,
and inject faults: a method (optionally for one channel) answering 429 or 5xx, or answering
late after it has posted (an answer lost in a time-out), or a channel the bot cannot post in.
It keeps each channel's messages with their metadata, so conversations.history and
conversations.replies find a post again as Slack does.
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
class Fault:
    """What a method answers instead of its result, `count` times (or until `until`)."""

    method: str
    channel: str | None = None
    status: int | None = None  # 429 or 5xx; None: answer normally, only late
    delay: float = 0.0  # seconds to sleep before answering (after posting, if it posts)
    count: int = 1
    until: float | None = None
    retry_after: int = 1

    def matches(self, method: str, channel: str) -> bool:
        return self.method == method and self.channel in (None, channel)


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
        self.faults: list[Fault] = []
        self.unusable_channels: set[str] = set()
        self.private_channels: set[str] = set()  # conversations.info says is_private
        self.usergroups: dict[str, list[str]] = {}  # usergroups.users.list
        # users.info: a user's `locale` and `tz`; anyone else's profile says neither
        self.people: dict[str, dict[str, Any]] = {}
        # files_upload_v2: file id -> its name, bytes, and where it was shared (files.*)
        self.files: dict[str, dict[str, Any]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}  # channel -> messages, oldest first
        self.socket_mode_url: str | None = None  # what apps.connections.open hands out
        self._lock = threading.Lock()
        self._counter = 0

    # -- what tests use -------------------------------------------------------------------

    def rate_limit(
        self, method: str, count: int = 1, retry_after: int = 1, channel: str | None = None
    ) -> None:
        self.inject(Fault(method, channel, status=429, count=count, retry_after=retry_after))

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def of(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.answered == 200]

    # -- WSGI -----------------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/upload/"):  # files_upload_v2's second step: the bytes
            return self._receive_upload(path.rsplit("/", 1)[-1], environ, start_response)
        if path.startswith("/files/"):  # a file a person uploaded, as url_private_download
            return self._serve_file(path.rsplit("/", 1)[-1], environ, start_response)
        body = {**_query(environ), **_read_body(environ)}
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
        fault = self._take_fault(method, str(body.get("channel", "")))
        if fault is not None and fault.status is not None:
            with self._lock:
                self.calls.append(SlackCall(method, body, answered=fault.status))
            time.sleep(fault.delay)
            error = "ratelimited" if fault.status == 429 else "internal_error"
            headers = [("Retry-After", str(fault.retry_after))] if fault.status == 429 else []
            return _answer(start_response, fault.status, {"ok": False, "error": error}, headers)
        if method == "files.getUploadURLExternal":
            result = self._upload_url(environ, body)
        elif method == "files.completeUploadExternal":
            result = self._complete_upload(body)
        else:
            result = self._result(method, body)
        answer = self._record_and_answer(SlackCall(method, body), start_response, result)
        if fault is not None:
            time.sleep(fault.delay)  # posted, but the answer comes late (or never, in time)
        return answer

    def _take_fault(self, method: str, channel: str) -> Fault | None:
        now = time.time()
        with self._lock:
            for fault in list(self.faults):
                if fault.until is not None and fault.until <= now:
                    self.faults.remove(fault)
                elif fault.matches(method, channel):
                    if fault.until is None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def _record_and_answer(
        self, call: SlackCall, start_response: Any, result: dict[str, Any]
    ) -> Iterable[bytes]:
        if result.get("ok"):
            with self._lock:
                self.calls.append(call)
            if self.on_call:
                self.on_call(call)
        return _answer(start_response, 200, result)

    def add_file(self, name: str, data: bytes, base_url: str) -> dict[str, Any]:
        """A file as a person uploads it in a form's file_input: the object Slack puts in the
        view's state, with the address the app downloads it from (with the bot token)."""
        with self._lock:
            self._counter += 1
            file_id = f"F{self._counter:08d}"
            self.files[file_id] = {"name": name, "data": data, "shares": []}
        url = f"{base_url}/files/{file_id}"
        return {"id": file_id, "name": name, "url_private": url, "url_private_download": url}

    def _serve_file(
        self, file_id: str, environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        with self._lock:
            known = self.files.get(file_id)
            self.calls.append(SlackCall("files.download", {"file": file_id}))
        if self.token and environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}":
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"not allowed"]
        if known is None or known["data"] is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no such file"]
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [known["data"]]

    def _receive_upload(
        self, file_id: str, environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        data = environ["wsgi.input"].read(length) if length else b""
        with self._lock:
            known = self.files.get(file_id)
            if known is not None:
                known["data"] = data
        if known is None:
            return _answer(start_response, 404, {"ok": False, "error": "file_not_found"})
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"OK - " + str(len(data)).encode()]

    def _upload_url(self, environ: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            file_id = f"F{self._counter:08d}"
            self.files[file_id] = {"name": body.get("filename"), "data": None, "shares": []}
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        return {"ok": True, "file_id": file_id, "upload_url": f"http://{host}/upload/{file_id}"}

    def _complete_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        listed = body.get("files")
        if isinstance(listed, str):
            listed = json.loads(listed)
        done = []
        with self._lock:
            for item in listed or []:
                known = self.files.get(str(item.get("id")))
                if known is None or known["data"] is None:
                    return {"ok": False, "error": "file_not_found"}
                known["title"] = item.get("title")
                known["shares"].append(
                    {
                        "channel": body.get("channel_id"),
                        "thread_ts": body.get("thread_ts"),
                        "comment": body.get("initial_comment"),
                    }
                )
                done.append({"id": item.get("id"), "title": item.get("title")})
        channel = body.get("channel_id")
        if channel and done:  # the share is a message in the channel (or thread), as in Slack
            shared: dict[str, Any] = {
                "ts": self._next_ts(),
                "text": body.get("initial_comment") or "",
                "files": [{**f, "name": self.files[str(f["id"])]["name"]} for f in done],
            }
            if body.get("thread_ts"):
                shared["thread_ts"] = body["thread_ts"]
            with self._lock:
                self.history.setdefault(str(channel), []).append(shared)
        return {"ok": True, "files": done}

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
            ts = self._next_ts()
            posted = {"ts": ts, "text": body.get("text"), "metadata": body.get("metadata")}
            if body.get("thread_ts"):
                posted["thread_ts"] = body["thread_ts"]
            with self._lock:
                self.history.setdefault(channel, []).append(posted)
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text")}}
        if method == "usergroups.users.list":
            group = str(body.get("usergroup", ""))
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": self.usergroups[group]}
        if method == "users.info":
            user = str(body.get("user", ""))
            return {"ok": True, "user": {"id": user, **self.people.get(user, {})}}
        if method == "conversations.info":
            private = channel in self.private_channels
            direct = channel.startswith(("D", "U"))
            return {
                "ok": True,
                "channel": {
                    "id": channel,
                    "is_channel": not direct,
                    "is_private": private,
                    "is_im": direct,
                },
            }
        if method == "conversations.open":  # a DM: here its channel id is the user's id
            return {"ok": True, "channel": {"id": str(body.get("users", ""))}}
        if method in ("conversations.history", "conversations.replies"):
            return self._conversation(method, channel, body)
        if method == "chat.update":
            return {"ok": True, "channel": channel, "ts": body.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            return {
                "ok": True,
                "view": {**(body.get("view") or {}), "id": f"V{self._next_ts().replace('.', '')}"},
            }
        return {"ok": True}

    def _conversation(self, method: str, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            messages = list(self.history.get(channel, []))
        if method == "conversations.replies":
            messages = [m for m in messages if body.get("ts") in (m["ts"], m.get("thread_ts"))]
        else:
            oldest = float(body.get("oldest") or 0)
            messages = [m for m in messages if not m.get("thread_ts") and float(m["ts"]) >= oldest]
            messages.reverse()  # history is newest first
        include = str(body.get("include_all_metadata")).lower() in ("1", "true")
        shown = [
            {k: v for k, v in m.items() if k != "metadata" or (include and v)} for m in messages
        ]
        return {"ok": True, "messages": shown, "has_more": False}

    def _next_ts(self) -> str:
        with self._lock:
            self._counter += 1
            return f"{int(time.time())}.{self._counter:06d}"


def _query(environ: dict[str, Any]) -> dict[str, Any]:
    """GET methods (conversations.history) carry their arguments in the query string."""
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


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
    for key in ("blocks", "view", "metadata"):  # form-encoded calls send these as JSON strings
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
    reason = {200: "OK", 429: "Too Many Requests"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), *(headers or [])])
    return [payload]
