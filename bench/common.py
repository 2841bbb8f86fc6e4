"""What the benchmarks share: the processes they measure, signed clients, and the report.

Benchmarks are scripts, not tests: each prints a table and exits non-zero when a target is
missed. Every target is a ratio measured in the same run on the same machine.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.httpserver import start_in_thread  # noqa: E402
from bot.local.standin import Fault, SlackCall, SlackStandIn  # noqa: E402
from tests.e2e.harness import BOT_TOKEN, TEAM, slack_sign  # noqa: E402


@contextmanager
def slack_standin() -> Iterator[SlackStandIn]:
    standin = SlackStandIn(token=BOT_TOKEN)
    server = start_in_thread(standin, threads=32)
    standin.url = server.url  # type: ignore[attr-defined]
    try:
        yield standin
    finally:
        server.stop()


@contextmanager
def slack_standin_process() -> Iterator[str]:
    """The stand-in in a process of its own, so that its work does not share the GIL with
    the bench's clients (whose timings it would inflate); yields its URL."""
    with standin_process() as standin:
        yield standin.url


def is_channel_post(method: str, body: dict[str, Any]) -> bool:
    """A top-level channel post (no thread_ts): what `StandInProcess.wait_posts` counts."""
    return method == "chat.postMessage" and not body.get("thread_ts")


class _Controlled:
    """The stand-in's WSGI app, plus a control face under /_bench/ for the bench that runs it
    in a child process: what it received (`GET /_bench/calls`), a fault to inject
    (`POST /_bench/faults`, a Fault's fields as JSON), a file a person uploads
    (`POST /_bench/files?name=N`, its bytes as the body), and a wait for the Nth channel post
    (`GET /_bench/wait?posts=N&timeout=S`, so the bench does not poll the process it measures)."""

    def __init__(self) -> None:
        self.posts = 0
        self.seen = threading.Condition()
        self.standin = SlackStandIn(token=BOT_TOKEN, on_call=self._on_call)

    def _on_call(self, call: SlackCall) -> None:
        if is_channel_post(call.method, call.body):
            with self.seen:
                self.posts += 1
                self.seen.notify_all()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_bench/"):
            return self.standin(environ, start_response)
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/_bench/calls":
            calls = list(self.standin.calls)  # appended to, never changed: a copy is consistent
            data: Any = [
                {"method": c.method, "body": c.body, "at": c.at, "answered": c.answered}
                for c in calls
            ]
        elif path == "/_bench/faults":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            self.standin.inject(Fault(**json.loads(environ["wsgi.input"].read(length))))
            data = {"ok": True}
        elif path == "/_bench/files":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            base = f"http://{environ['HTTP_HOST']}"
            data = self.standin.add_file(query["name"], environ["wsgi.input"].read(length), base)
        elif path == "/_bench/wait":
            wanted, deadline = int(query["posts"]), time.monotonic() + float(query["timeout"])
            with self.seen:
                while self.posts < wanted and time.monotonic() < deadline:
                    self.seen.wait(deadline - time.monotonic())
                data = {"posts": self.posts}
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no such control"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(data, default=str).encode()]


@dataclass
class StandInProcess:
    """The bench's handle on the stand-in child process (see `standin_process`)."""

    url: str

    def inject(self, **fault: Any) -> None:
        """A bot.local.standin.Fault, by its fields (method, channel, status, delay, count,
        until, retry_after)."""
        httpx.post(self.url + "/_bench/faults", json=fault, timeout=5).raise_for_status()

    def calls(self) -> list[dict[str, Any]]:
        """Every call received: method, body, at (time.time() on arrival), answered (status)."""
        response = httpx.get(self.url + "/_bench/calls", timeout=30)
        response.raise_for_status()
        return list(response.json())

    def add_file(self, name: str, data: bytes) -> dict[str, Any]:
        """A file as a person uploads it in a form's file_input (SlackStandIn.add_file)."""
        response = httpx.post(
            self.url + "/_bench/files", params={"name": name}, content=data, timeout=30
        )
        response.raise_for_status()
        return dict(response.json())

    def wait_posts(self, count: int, timeout: float) -> int:
        """Block until `count` channel posts were taken (or `timeout`); how many were."""
        response = httpx.get(
            self.url + "/_bench/wait",
            params={"posts": count, "timeout": timeout},
            timeout=timeout + 10,
        )
        response.raise_for_status()
        return int(response.json()["posts"])


@contextmanager
def standin_process() -> Iterator[StandInProcess]:
    """The stand-in in a child process of its own (its own interpreter lock), with the
    control face of `_Controlled`."""
    import multiprocessing

    from tests.e2e.harness import free_port

    port = free_port()

    def serve() -> None:
        from bot.httpserver import serve_forever

        serve_forever(_Controlled(), host="127.0.0.1", port=port, threads=32)

    process = multiprocessing.get_context("fork").Process(target=serve, daemon=True)
    process.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.post(url + "/api/auth.test", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield StandInProcess(url)
    finally:
        process.terminate()
        process.join(5)


def command_body(text: str, channel: str, user: str, slack_url: str) -> bytes:
    """A /heynow command as Slack sends it, with its own trigger_id."""
    trigger = f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:12]}"
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "channel_id": channel,
            "user_id": user,
            "command": "/heynow",
            "text": text,
            "api_app_id": "A0BENCH",
            "response_url": f"{slack_url}/respond/{trigger}",
            "trigger_id": trigger,
        }
    ).encode()


def timed_posts(url: str, bodies: list[bytes], *, concurrency: int) -> list[float]:
    """Post every body, `concurrency` at a time, each client thread on one kept-alive
    connection; returns each request's seconds (all must answer 200)."""
    return [answer.seconds for answer in posts_answered(url, bodies, concurrency=concurrency)]


@dataclass(frozen=True)
class Answered:
    """One request of `posts_answered`: how long it took, and when (time.time()) it was answered."""

    seconds: float
    at: float


def posts_answered(
    url: str, bodies: list[bytes], *, concurrency: int, every: float = 0.0
) -> list[Answered]:
    """What `timed_posts` does, returning for each body, in the order given, its answer.
    With `every`, body n is posted no earlier than n * `every` seconds after the first (a
    paced stream instead of a burst; `concurrency` still bounds the requests in flight)."""
    chunks = [list(range(n, len(bodies), concurrency)) for n in range(concurrency)]
    answers: list[Answered | None] = [None] * len(bodies)
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(concurrency)

    def client(chunk: list[int]) -> None:
        with httpx.Client(timeout=30) as http:
            start.wait()
            first = time.perf_counter()
            for index in chunk:
                body = bodies[index]
                if every:
                    time.sleep(max(0.0, first + index * every - time.perf_counter()))
                started = time.perf_counter()
                response = http.post(url, content=body, headers=slack_sign(body))
                took = time.perf_counter() - started
                answers[index] = Answered(took, time.time())
                if response.status_code != 200:
                    with lock:
                        failures.append(f"{response.status_code} {response.text[:100]}")

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return [answer for answer in answers if answer is not None]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


@dataclass
class Report:
    """A table of measured rows and targets; `finish()` prints it and exits 1 on a miss."""

    title: str
    rows: list[tuple[str, str, str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # printed after the table, as they are

    def add(self, what: str, measured: str, target: str = "", met: bool = True) -> None:
        self.rows.append((what, measured, target, met))

    def finish(self) -> None:
        width = max(len(r[0]) for r in self.rows)
        print(f"\n{self.title}\n")
        print(f"| {'what'.ljust(width)} | measured | target | met |")
        print(f"|{'-' * (width + 2)}|---|---|---|")
        for what, measured, target, met in self.rows:
            print(f"| {what.ljust(width)} | {measured} | {target} | {'yes' if met else 'NO'} |")
        for note in self.notes:
            print(f"\n{note}")
        missed = [r for r in self.rows if not r[3]]
        if missed:
            print(f"\n{len(missed)} target(s) missed", file=sys.stderr)
            raise SystemExit(1)
