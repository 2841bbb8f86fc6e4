"""Hostile HTTP: oversized unsigned bodies must be refused at once, without slowing Slack's acks.

Runs the real app process on loopback (Slack's Web API played by the stand-in in a thread, Hey Now
by the simulator process), measures the idle p50 of signed `/heynow help` acks, then sends
`--attackers` unsigned bodies of `--body-mb` MB at once from as many threads, in rounds (at least
`--rounds`, and for at least `--seconds`), while the same ack clients keep measuring. Each ack
client is one thread on one kept-alive httpx.Client connection.

Targets: every oversized request refused (4xx) within 100 ms; the app's RSS (VmRSS) grows by less
than 20 MB; the ack p50 during the attack stays within 2x of the idle p50, with no ack lost (Slack
waits 3 s). Prints a table, and exits 1 when a target is missed.

    .venv/bin/python bench/hostile.py [--attackers 8] [--body-mb 10] [--rounds 3] [--seconds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.httpserver import start_in_thread  # noqa: E402
from bot.local.standin import SlackStandIn  # noqa: E402
from bot.simulator import load_config  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    BOT_TOKEN,
    AppProcess,
    SimulatorProcess,
    SlackUser,
    app_env,
    slack_sign,
)

REFUSAL_TARGET_S = 0.100
RSS_TARGET_KB = 20 * 1024
ACK_SLOWDOWN_TARGET = 2.0
SLACK_ACK_SECONDS = 3.0  # Slack gives up on an ack after this; so does the ack client


@dataclass
class Refusal:
    """What one oversized request got back, and after how long."""

    seconds: float
    status: int | None  # None: the connection failed without an HTTP answer
    error: str = ""


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    """A field of /proc/PID/status in kB: VmRSS now, or VmHWM (the peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def p50_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000 if seconds else float("nan")


def p95_ms(seconds: list[float]) -> float:
    return sorted(seconds)[int(len(seconds) * 0.95)] * 1000 if seconds else float("nan")


class AckClient(threading.Thread):
    """Signed `/heynow help` commands, one after another on one kept-alive connection."""

    def __init__(self, person: SlackUser) -> None:
        super().__init__(daemon=True)
        self.person = person
        self.client = httpx.Client(base_url=person.app.url, timeout=SLACK_ACK_SECONDS)
        self.times: list[float] = []
        self.failures = 0
        self.stop = threading.Event()

    def ack_once(self) -> float:
        body, _ = self.person.command_body("help")
        started = time.perf_counter()
        try:
            response = self.client.post("/slack/events", content=body, headers=slack_sign(body))
            ok = response.status_code == 200
        except httpx.HTTPError:  # a time-out counts, at the time it took: Slack got no ack
            ok = False
        if not ok:
            self.failures += 1
        return time.perf_counter() - started

    def run(self) -> None:
        while not self.stop.is_set():
            self.times.append(self.ack_once())

    def measure(self, count: int) -> list[float]:
        """`count` acks in the calling thread (the idle measurement)."""
        return [self.ack_once() for _ in range(count)]


class Attacker(threading.Thread):
    """Unsigned oversized POSTs, one per round; a round starts when all reach the barrier,
    and the attack is over when `over` is set at the start of a round.

    A raw socket, as an attacker would use: socket.sendall sends the body from C without the
    GIL, where httpx's sync write copies the unsent rest of a 10 MB body after every send()
    while holding it, which slowed this process's own ack clients and counted as the app's.
    """

    def __init__(
        self, url: str, body: bytes, barrier: threading.Barrier, over: threading.Event
    ) -> None:
        super().__init__(daemon=True)
        self.address = (urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80)
        self.body, self.barrier, self.over = body, barrier, over
        self.head = (
            f"POST /slack/events HTTP/1.1\r\nHost: {self.address[0]}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.refusals: list[Refusal] = []

    def run(self) -> None:
        while True:
            self.barrier.wait()  # a round starts, or the attack is over
            if self.over.is_set():
                return
            self.refusals.append(self.strike())
            self.barrier.wait()  # every attacker has its answer

    def strike(self) -> Refusal:
        started = time.perf_counter()
        answer = b""
        try:
            with socket.create_connection(self.address, timeout=30) as sock:
                with contextlib.suppress(
                    OSError
                ):  # the server stopped reading: it may have answered
                    sock.sendall(self.head)
                    sock.sendall(memoryview(self.body))
                while b"\r\n" not in answer and (data := sock.recv(4096)):
                    answer += data
        except OSError as exc:
            return Refusal(time.perf_counter() - started, None, type(exc).__name__)
        elapsed = time.perf_counter() - started
        if not answer.startswith(b"HTTP/1.1 "):
            return Refusal(elapsed, None, "no answer")
        return Refusal(elapsed, int(answer.split()[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attackers", type=int, default=8, help="oversized requests at once")
    parser.add_argument("--body-mb", type=float, default=10, help="size of each unsigned body")
    parser.add_argument(
        "--rounds", type=int, default=3, help="times the attackers strike, at least"
    )
    parser.add_argument(
        "--seconds", type=float, default=2, help="and they strike again until this long has passed"
    )
    parser.add_argument("--ack-clients", type=int, default=2, help="threads measuring acks")
    parser.add_argument("--idle-acks", type=int, default=50, help="acks per client, idle")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    slack = SlackStandIn(token=BOT_TOKEN)
    slack_server = start_in_thread(slack)
    sim = SimulatorProcess(workdir, load_config(), step_seconds=1000)
    app = AppProcess(workdir, app_env(slack_server.url, sim.url, workdir / "bench.db"))
    # A form body of many tiny fields: what costs a parser the most per byte.
    body = b"a=b&" * int(args.body_mb * 1024 * 1024 / 4)
    clients = [AckClient(SlackUser(app, slack_server.url)) for _ in range(args.ack_clients)]
    attackers: list[Attacker] = []
    try:
        for client in clients:
            client.measure(5)  # warm up: connections, Bolt's first-request work
        idle = [t for client in clients for t in client.measure(args.idle_acks)]
        pid = app.popen.pid
        rss_before, peak_before = rss_kb(pid), rss_kb(pid, "VmHWM")
        barrier = threading.Barrier(args.attackers + 1, timeout=120)  # a stuck attacker ends it
        over = threading.Event()
        attackers += [Attacker(app.url, body, barrier, over) for _ in range(args.attackers)]
        for thread in [*attackers, *clients]:
            thread.start()
        attack_started, rounds = time.perf_counter(), 0
        while rounds < args.rounds or time.perf_counter() - attack_started < args.seconds:
            barrier.wait()  # go
            barrier.wait()  # all answered
            rounds += 1
        attack_seconds = time.perf_counter() - attack_started
        over.set()
        barrier.wait()
        for client in clients:
            client.stop.set()
        for thread in [*attackers, *clients]:
            thread.join()
        refusals = [r for attacker in attackers for r in attacker.refusals]
        rss_after, peak_after = rss_kb(pid), rss_kb(pid, "VmHWM")
        during = [t for client in clients for t in client.times]
        failed_acks = sum(client.failures for client in clients)
        log = app.log()
    finally:
        for client in clients:
            client.client.close()
        app.stop()
        sim.stop()
        slack_server.stop()

    slowest = max(r.seconds for r in refusals)
    answers = sorted({str(r.status) if r.status else r.error for r in refusals})
    refused = all(r.status is not None and 400 <= r.status < 500 for r in refusals)
    growth = rss_after - rss_before
    slowdown = p50_ms(during) / p50_ms(idle)
    rows = [
        (
            f"oversized requests refused ({len(refusals)} x {args.body_mb:g} MB)",
            f"4xx <= {REFUSAL_TARGET_S * 1000:.0f} ms",
            f"{', '.join(answers)}; slowest {slowest * 1000:.0f} ms",
            refused and slowest <= REFUSAL_TARGET_S,
        ),
        (
            "app RSS growth (VmRSS after - before)",
            f"< {RSS_TARGET_KB // 1024} MB",
            f"{growth / 1024:.1f} MB ({rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MB)",
            growth < RSS_TARGET_KB,
        ),
        (
            "app peak RSS growth (VmHWM, for information)",
            "",
            f"{(peak_after - peak_before) / 1024:.1f} MB",
            None,
        ),
        ("idle /heynow help ack p50", "", f"{p50_ms(idle):.1f} ms ({len(idle)} acks)", None),
        (
            "/heynow help ack p50 during the attack",
            f"<= {ACK_SLOWDOWN_TARGET:g}x, none lost",
            f"{p50_ms(during):.1f} ms = {slowdown:.1f}x ({len(during)} acks, {failed_acks} lost or not 200, p95 {p95_ms(during):.0f} ms)",
            bool(during) and failed_acks == 0 and slowdown <= ACK_SLOWDOWN_TARGET,
        ),
        ("attack duration", "", f"{attack_seconds:.2f} s ({rounds} rounds)", None),
        ("app log", "", f"{len(log)} bytes, {log.count('Traceback')} tracebacks", None),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'target':<16}  {'measured':<40}  ok")
    for name, target, measured, ok in rows:
        mark = "" if ok is None else ("yes" if ok else "MISSED")
        print(f"{name:<{width}}  {target:<16}  {measured:<40}  {mark}")
    return 0 if all(ok is not False for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
