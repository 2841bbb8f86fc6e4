"""The app's HTTP face: Slack's requests at /slack/events (signed, sized, acks first), and
GET /healthz."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.web.guard import SlackGuard

if TYPE_CHECKING:
    from bot.app import Runtime

SLACK_PATH = "/slack/events"


class Router:
    """The app's HTTP face: Slack's requests at /slack/events, and GET /healthz."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # Only requests Slack signed reach Bolt, which reads, parses and logs whatever it gets.
        self.slack = SlackGuard(
            SlackRequestHandler(runtime.bolt, path=SLACK_PATH),
            signing_secret=runtime.settings.slack_signing_secret or "",
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/healthz":
            return self._health(start_response)
        with self.runtime.priority.answering():
            return self.slack(environ, start_response)

    def _health(self, start_response: Any) -> list[bytes]:
        """Liveness plus what breaks silently: the database (reads and writes) and the jobs."""
        store, jobs = self.runtime.store, self.runtime.jobs
        database = store.check()
        fault = store.write_fault
        healthy = database and fault is None and jobs.running
        body = json.dumps(
            {
                "ok": healthy,
                "heynow": "simulator" if self.runtime.simulator else "remote",
                "jobs": jobs.running,
                "database": "ok" if database and fault is None else (fault or "unreadable"),
                "schema_version": store.schema_version,
            }
        ).encode()
        start_response(
            "200 OK" if healthy else "503 Service Unavailable",
            [("Content-Type", "application/json")],
        )
        return [body]
