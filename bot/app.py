"""The wiring: build every service from Settings, hand them to the listeners, serve.

Nothing here decides behaviour; it only connects the parts, so that a newcomer reads the whole
architecture in one screen.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.config import ConfigError, Settings
from bot.core import Core
from bot.heynow import HeyNowClient, HeyNowError
from bot.httpserver import RunningServer, start_in_thread
from bot.messaging import Messaging
from bot.notifier import Notifier
from bot.poller import StatusPoller
from bot.simulator import SimulatorState, WorldError, load_config, make_wsgi_app
from bot.tracker import PollPolicy, Tracker
from bot.workers import Workers
from handlers import register_listeners
from storage import Store

logger = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"


@dataclass
class Runtime:
    """Everything one app process runs."""

    settings: Settings
    store: Store
    heynow: HeyNowClient
    slack: WebClient
    bolt: App
    messaging: Messaging
    poller: StatusPoller
    workers: Workers
    simulator: RunningServer | None

    def wsgi(self) -> Any:
        return Router(self)

    def check_heynow(self) -> None:
        """Say in the log at start-up whether Hey Now takes the credentials: admins read it
        there before users meet it in Slack."""
        try:
            self.heynow.ensure_token()
        except HeyNowError as exc:
            logger.error("Hey Now check failed: %s", exc.user_message)
        else:
            logger.info("Hey Now accepts the app's credentials")

    def close(self) -> None:
        self.workers.shutdown()
        self.poller.stop()
        self.heynow.close()
        if self.simulator:
            self.simulator.stop()
        self.store.close()


def slack_client(settings: Settings) -> WebClient:
    """The Web API client; 429s are waited out (Retry-After) and connection errors retried."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=5),
        ],
    )


def heynow_backend(settings: Settings, store: Store) -> tuple[HeyNowClient, RunningServer | None]:
    """The configured Hey Now, or the embedded simulator on loopback when HEYNOW_URL is unset."""
    simulator = None
    url, user, password = settings.heynow_url, settings.heynow_user, settings.heynow_password
    if settings.uses_simulator:
        try:
            state = SimulatorState(load_config(settings.heynow_simulator_config))
        except WorldError as exc:
            raise ConfigError(f"HEYNOW_SIMULATOR_CONFIG: {exc}") from None
        simulator = start_in_thread(make_wsgi_app(state))
        url, (user, password) = simulator.url + "/api", state.demo_user
        logger.info("Using the embedded Hey Now simulator at %s", url)
    client = HeyNowClient(
        base_url=url or "",
        user=user or "",
        password=password or "",
        token_cache=store,
        timeout=settings.heynow_timeout_seconds,
    )
    return client, simulator


def build_runtime(settings: Settings) -> Runtime:
    store = Store(settings.database_path)
    interrupted = store.mark_interrupted_sends_unknown()
    if interrupted:
        logger.warning(
            "%d send(s) were cut off by the last stop; they are now marked unknown", interrupted
        )
    heynow, simulator = heynow_backend(settings, store)
    slack = slack_client(settings)
    policy = PollPolicy(
        first_interval=settings.poll_seconds,
        max_interval=settings.poll_max_seconds,
        stuck_after=settings.stuck_minutes * 60,
        give_up_after=settings.poll_give_up_hours * 3600,
    )
    core = Core(
        store=store, heynow=heynow, tracker=Tracker(store, policy), notifier=Notifier(store, slack)
    )
    messaging = Messaging(
        core,
        default_platform=settings.heynow_default_platform,
        default_region=settings.heynow_default_region,
    )
    poller = StatusPoller(core, interval_seconds=settings.poll_seconds)
    bolt = App(
        client=slack,
        signing_secret=settings.slack_signing_secret,
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="listener"),
    )
    workers = Workers()
    register_listeners(bolt, {"messaging": messaging, "workers": workers})
    return Runtime(settings, store, heynow, slack, bolt, messaging, poller, workers, simulator)


class Router:
    """The app's HTTP face: Slack's requests at /slack/events, and GET /healthz."""

    def __init__(self, runtime: Runtime) -> None:
        from bot.web import SlackGuard  # local: app.py is being rewritten outside Router

        self.runtime = runtime
        # Only requests Slack signed reach Bolt, which reads, parses and logs whatever it gets.
        self.slack = SlackGuard(
            SlackRequestHandler(runtime.bolt, path=SLACK_PATH),
            signing_secret=runtime.settings.slack_signing_secret or "",
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/healthz":
            return self._health(start_response)
        return self.slack(environ, start_response)

    def _health(self, start_response: Any) -> list[bytes]:
        """Liveness plus the two things that break silently: the database and the poller."""
        healthy = self.runtime.poller.scheduler.running
        try:
            self.runtime.store.due_for_poll(0, 1)
        except Exception:
            healthy = False
        body = json.dumps(
            {
                "ok": healthy,
                "heynow": "simulator" if self.runtime.simulator else "remote",
                "poller": self.runtime.poller.scheduler.running,
                "schema_version": self.runtime.store.schema_version,
            }
        ).encode()
        start_response(
            "200 OK" if healthy else "503 Service Unavailable",
            [("Content-Type", "application/json")],
        )
        return [body]
