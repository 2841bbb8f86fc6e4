"""What the benchmarks share: the processes they measure, signed clients, and the report.

Benchmarks are scripts, not tests: each prints a table and exits non-zero when a target is
missed. Every target is a ratio measured in the same run on the same machine.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.httpserver import start_in_thread  # noqa: E402
from bot.local.standin import SlackStandIn  # noqa: E402
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
    import multiprocessing

    from tests.e2e.harness import free_port

    port = free_port()

    def serve() -> None:
        from bot.httpserver import serve_forever

        serve_forever(SlackStandIn(token=BOT_TOKEN), host="127.0.0.1", port=port, threads=32)

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
        yield url
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
    chunks = [bodies[n::concurrency] for n in range(concurrency)]
    seconds: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(concurrency)

    def client(chunk: list[bytes]) -> None:
        with httpx.Client(timeout=30) as http:
            start.wait()
            for body in chunk:
                started = time.perf_counter()
                response = http.post(url, content=body, headers=slack_sign(body))
                took = time.perf_counter() - started
                with lock:
                    seconds.append(took)
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text[:100]}")

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return seconds


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

    def add(self, what: str, measured: str, target: str = "", met: bool = True) -> None:
        self.rows.append((what, measured, target, met))

    def finish(self) -> None:
        width = max(len(r[0]) for r in self.rows)
        print(f"\n{self.title}\n")
        print(f"| {'what'.ljust(width)} | measured | target | met |")
        print(f"|{'-' * (width + 2)}|---|---|---|")
        for what, measured, target, met in self.rows:
            print(f"| {what.ljust(width)} | {measured} | {target} | {'yes' if met else 'NO'} |")
        missed = [r for r in self.rows if not r[3]]
        if missed:
            print(f"\n{len(missed)} target(s) missed", file=sys.stderr)
            raise SystemExit(1)
