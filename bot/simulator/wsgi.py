"""The simulator's HTTP face: the vendor API under /api, and test controls under /_sim."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

from bot.simulator.state import SimError, SimulatorState

Response = tuple[int, Any]
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/api/login$"), "login"),
    ("POST", re.compile(r"^/api/message/(\d+)/([^/]+)/([^/]+)$"), "send"),
    ("POST", re.compile(r"^/api/masiveMessage/(\d+)/([^/]+)/([^/]+)$"), "mass_send"),
    ("GET", re.compile(r"^/api/message/(\d+)/([^/]+)/([^/]+)$"), "status"),
    ("GET", re.compile(r"^/api/contact/(\d+)/([^/]+)/([^/]+)$"), "contact"),
    ("GET", re.compile(r"^/api/contact/(\d+)/([^/]+)$"), "agenda"),
]
_STATUS_TEXT = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class SimulatorApp:
    """A WSGI application over a SimulatorState, recording every API request it serves."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self.requests: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        if path.startswith("/_sim/"):
            status, body = self._control(method, path, raw)
        else:
            status, body = self._api(method, path, query, raw, environ.get("HTTP_AUTHORIZATION"))
        payload = json.dumps(body).encode()
        start_response(
            f"{status} {_STATUS_TEXT.get(status, 'Error')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    # -- the API ----------------------------------------------------------------------------

    def _api(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, auth: str | None
    ) -> Response:
        body = _json(raw)
        self._log(method, path, query, body, auth)
        fault = self._take_fault(method, path)
        if fault:
            time.sleep(float(fault.get("delay", 0)))
            if fault.get("status"):
                return fault["status"], {"error": "Falla simulada"}
        for route_method, pattern, name in _ROUTES:
            match = pattern.match(path)
            if match and route_method == method:
                try:
                    return 200, getattr(self, f"_{name}")(
                        auth, query, body, *map(unquote, match.groups())
                    )
                except SimError as exc:
                    return exc.status, {"error": exc.message}
        return 404, {"error": "Recurso no encontrado"}

    def _login(self, _auth: str | None, _query: Any, body: Any) -> dict[str, str]:
        body = body if isinstance(body, dict) else {}
        return {"token": self.state.login(body.get("name"), body.get("password"))}

    def _platform(self, auth: str | None, channel: str, platform_id: str):
        user = self.state.user_for(auth)
        return self.state.platform_for(user, int(channel), platform_id)

    def _send(self, auth, query, body, channel, platform_id, client_id) -> dict[str, str]:
        platform = self._platform(auth, channel, platform_id)
        validate = query.get("contactValidation", ["true"])[0].lower() != "false"
        message = self.state.send(platform, client_id, _text(body), validate)
        return {"idMessageHey": message.id}

    def _mass_send(self, auth, _query, body, channel, platform_id, client_id) -> dict[str, str]:
        platform = self._platform(auth, channel, platform_id)
        return {"idMessageHey": self.state.mass_send(platform, client_id, _text(body)).id}

    def _status(self, auth, _query, _body, channel, platform_id, message_id) -> str:
        return self.state.status(self._platform(auth, channel, platform_id), message_id)

    def _contact(self, auth, _query, _body, channel, platform_id, client_id) -> dict[str, Any]:
        return self.state.contact(self._platform(auth, channel, platform_id), client_id)

    def _agenda(self, auth, _query, _body, channel, platform_id) -> list[dict[str, Any]]:
        return self.state.agenda(self._platform(auth, channel, platform_id))

    # -- test controls ------------------------------------------------------------------------

    def _control(self, method: str, path: str, raw: bytes) -> Response:
        body = _json(raw) or {}
        if path == "/_sim/requests" and method == "GET":
            with self._lock:
                return 200, list(self.requests)
        if path == "/_sim/requests" and method == "DELETE":
            with self._lock:
                self.requests.clear()
            return 200, {"ok": True}
        if path == "/_sim/faults" and method == "POST":
            with self._lock:
                self.faults.append({"count": 1, **body})
            return 200, {"ok": True}
        if path == "/_sim/faults" and method == "DELETE":  # the outage is over
            with self._lock:
                self.faults.clear()
            return 200, {"ok": True}
        if path == "/_sim/expire-tokens" and method == "POST":
            return 200, {"expired": self.state.expire_tokens()}
        if path == "/_sim/messages" and method == "GET":
            with self.state.lock:
                return 200, [vars(m) for m in self.state.messages.values()]
        if path == "/_sim/contacts" and method == "POST":  # a client writes for the first time
            try:
                self.state.add_contact(
                    int(body.get("channel", 0)),
                    str(body.get("platform_id")),
                    body.get("contact", {}),
                )
            except (SimError, TypeError, ValueError) as exc:
                return getattr(exc, "status", 400), {"error": str(exc)}
            return 200, {"ok": True}
        match = re.match(r"^/_sim/messages/([^/]+)/status$", path)
        if match and method == "POST":
            try:
                self.state.force_status(match.group(1), str(body.get("status")))
            except SimError as exc:
                return exc.status, {"error": exc.message}
            return 200, {"ok": True}
        return 404, {"error": "no such control"}

    def _log(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, auth: str | None
    ) -> None:
        entry = {
            "method": method,
            "path": path,
            "query": {k: v[0] for k, v in query.items()},
            "body": body if not path.endswith("/login") else {"name": (body or {}).get("name")},
            "authorized": bool(auth),
            "at": time.time(),
        }
        with self._lock:
            self.requests.append(entry)

    def _take_fault(self, method: str, path: str) -> dict[str, Any] | None:
        with self._lock:
            for fault in self.faults:
                if fault.get("method", method) == method and path.startswith(
                    fault.get("path", "/api/")
                ):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                    return fault
        return None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _text(body: Any) -> Any:
    return body.get("text") if isinstance(body, dict) else None


def make_wsgi_app(state: SimulatorState) -> SimulatorApp:
    return SimulatorApp(state)
