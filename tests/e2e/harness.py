"""Real processes on loopback: the app, the Hey Now simulator, and a recording Slack Web API."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.i18n import Texts
from bot.simulator import load_config

ROOT = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "e2e-signing-secret"
ACK_SECONDS: list[float] = []  # every accepted request's answer time, reported after the run
BOT_TOKEN = "xoxb-e2e-token"
TEAM = "T0E2E"


EVIL_CLIENT = "59891000066"

# What the app says to the people of these tests: no entry point chooses a language for them,
# so the app speaks its default (bot.i18n's Texts(): Spanish, in Montevideo's time).
# What the app under test speaks to the people of these tests, whose Slack profiles say no
# language: HEYNOW_LANGUAGE of app_env() (English); local mode keeps the default (Spanish).
APP_TEXTS = Texts.of("en")
LOCAL_TEXTS = Texts.of("es")


def app_says(key: str, texts: Texts = APP_TEXTS, **params: object) -> str:
    """A text of the catalogues as the app under test shows it."""
    return texts(key, **params)


def app_says_until(key: str, field: str, texts: Texts = APP_TEXTS, **params: object) -> str:
    """The start of such a text, up to where its `field` goes (a time, which the test does not
    know to the minute)."""
    return texts(key, **params, **{field: "\0"}).split("\0")[0]


def demo_world(twitter_contacts: int = 33) -> dict[str, Any]:
    """The demo world, plus a contact whose name tries to ping everyone and a Twitter agenda of
    `twitter_contacts` (more than a page of 15)."""
    world = copy.deepcopy(load_config())
    world["platforms"][0]["contacts"].append(
        {"client_id": EVIL_CLIENT, "first_name": "<!channel>", "last_name": "Eve & <@U0BOSS>"}
    )
    twitter = next(p for p in world["platforms"] if p["channel"] == 3)
    twitter["contacts"] += [
        {"client_id": f"16000000000000000{n:02d}", "first_name": f"Cliente {n:02d}"}
        for n in range(1, twitter_contacts)
    ]
    return world


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**settings: str) -> dict[str, str]:
    """The environment of a child app process: ours, less any Slack or Hey Now setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HEYNOW_"))}
    env.update(settings, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return env


def run_once(cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` to its end (for start-up failures), with these settings."""
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        env=child_env(**settings),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


def wait_for(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until `check()` is truthy; its value, or AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {getattr(check, '__name__', check)}"
            )
        time.sleep(interval)


class Process:
    """A child process with its output in a log file, shown when something goes wrong."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, name: str) -> None:
        self.log_path = cwd / f"{name}.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(
            args,
            env=child_env(**env),
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_http(self, url: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"process exited with {self.popen.returncode}:\n{self.log()}")
            try:
                if httpx.get(url, timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{url} did not answer in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


class SimulatorProcess(Process):
    def __init__(
        self,
        cwd: Path,
        config: dict[str, Any],
        step_seconds: float,
        state: Path | None = None,
    ) -> None:
        self.port = free_port()
        config_path = cwd / f"sim-{self.port}.json"
        config_path.write_text(json.dumps(config))
        args = [
            sys.executable,
            "-m",
            "bot",
            "simulator",
            "--port",
            str(self.port),
            "--config",
            str(config_path),
            "--step-seconds",
            str(step_seconds),
            *(["--state", str(state)] if state else []),
        ]
        super().__init__(args, {}, cwd, f"simulator-{self.port}")
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait_http(self.url + "/_sim/requests")

    def requests(self) -> list[dict[str, Any]]:
        return httpx.get(self.url + "/_sim/requests").json()

    def messages(self) -> list[dict[str, Any]]:
        return httpx.get(self.url + "/_sim/messages").json()

    def control(self, path: str, body: dict[str, Any] | None = None) -> None:
        httpx.post(self.url + path, json=body or {}).raise_for_status()


class AppProcess(Process):
    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            [sys.executable, "-m", "bot"],
            {"PORT": str(self.port), "HOST": "127.0.0.1", **env},
            cwd,
            f"app-{self.port}",
        )
        self.wait_http(self.url + "/healthz")


def app_env(slack_url: str, sim_url: str | None, database: Path, **extra: str) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url + "/api/",
        "DATABASE_PATH": str(database),
        "HEYNOW_POLL_SECONDS": "0.2",
        "HEYNOW_POLL_MAX_SECONDS": "0.4",
        "HEYNOW_STUCK_MINUTES": "0.02",
        "HEYNOW_POLL_GIVE_UP_HOURS": "0.0015",
        "HEYNOW_TIMEOUT_SECONDS": "3",
        "LOG_LEVEL": "INFO",
        "HEYNOW_LANGUAGE": "en",  # for users whose profile says no locale (most tests')
        "HEYNOW_DIGEST_TIME": "off",  # no digest in HEYNOW_NOTIFY_CHANNEL unless a test asks
    }
    if sim_url:
        env.update(
            HEYNOW_URL=sim_url + "/api",
            HEYNOW_USER="demo",
            HEYNOW_PASSWORD="demo",
            HEYNOW_DEFAULT_PLATFORM="1:59899000001",
        )
    env.update(extra)
    return env


def slack_sign(
    body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """Slack's v0 scheme, written out here independently of the app's code."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest(),
        "Content-Type": "application/x-www-form-urlencoded",
    }


class SlackUser:
    """A person in a channel, typing slash commands and clicking; each test gets its own."""

    def __init__(self, app: AppProcess, slack_url: str) -> None:
        self.app = app
        self.slack_url = slack_url
        self.user = "U" + uuid.uuid4().hex[:8].upper()
        self.channel = "C" + uuid.uuid4().hex[:8].upper()

    def command_body(self, text: str, trigger_id: str | None = None) -> tuple[bytes, str]:
        trigger = trigger_id or f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:12]}"
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        body = urlencode(
            {
                "token": "legacy",
                "team_id": TEAM,
                "team_domain": "e2e",
                "channel_id": self.channel,
                "channel_name": "support",
                "user_id": self.user,
                "user_name": "agent",
                "command": "/heynow",
                "text": escaped,
                "api_app_id": "A0E2E",
                "response_url": f"{self.slack_url}/respond/{trigger}",
                "trigger_id": trigger,
            }
        ).encode()
        return body, trigger

    def slash(self, text: str, **post: Any) -> tuple[httpx.Response, str]:
        body, trigger = self.command_body(text)
        return self.post(body, **post), trigger

    def post(
        self, body: bytes, headers: dict[str, str] | None = None, timestamp: int | None = None
    ) -> httpx.Response:
        started = time.perf_counter()
        response = httpx.post(
            self.app.url + "/slack/events",
            content=body,
            headers={**slack_sign(body, timestamp), **(headers or {})},
            timeout=10,
        )
        if response.status_code == 200:
            ACK_SECONDS.append(time.perf_counter() - started)
        return response

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        payload = {
            "team": {"id": TEAM},
            "user": {"id": self.user},
            "api_app_id": "A0E2E",
            "token": "legacy",
            **payload,
        }
        return self.post(urlencode({"payload": json.dumps(payload)}).encode())
