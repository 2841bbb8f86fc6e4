"""Ack latency of `/heynow send` under load, against a bare Bolt app that only acks.

500 signed sends, 50 at a time, each with its own trigger_id, each client thread on one
kept-alive connection, Hey Now answering every send in 50 ms; in rounds that alternate between
the two apps (both running), so that a passing hiccup of the machine hits both alike. The app records each send in
SQLite before its ack, so the ack costs one transaction more than the bare app's; the work
at Hey Now and Slack runs after it, on the same two cores. Targets: ack p50 within 1.3x and p99
within 2x of the bare app's, and every send reaching Hey Now exactly once.

    .venv/bin/python bench/ack.py [--sends 500] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import Report, command_body, ms, percentile, slack_standin_process, timed_posts

from bot.simulator import load_config
from tests.e2e.harness import (
    SIGNING_SECRET,
    AppProcess,
    Process,
    SimulatorProcess,
    app_env,
    free_port,
    wait_for,
)

HERE = Path(__file__).resolve().parent
# The production defaults, not the end-to-end tests' fast polling.
DEFAULTS = {
    "HEYNOW_POLL_SECONDS": "5",
    "HEYNOW_POLL_MAX_SECONDS": "300",
    "HEYNOW_STUCK_MINUTES": "30",
    "HEYNOW_POLL_GIVE_UP_HOURS": "48",
}


def bare_bolt(workdir: Path, slack_url: str) -> tuple[Process, str]:
    port = free_port()
    args = [
        sys.executable,
        str(HERE / "bare_bolt.py"),
        str(port),
        SIGNING_SECRET,
        slack_url + "/api/",
    ]
    process = Process(args, {}, workdir, "bare")
    url = f"http://127.0.0.1:{port}"
    process.wait_http(url + "/slack/events")
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="of each app, alternating")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-ack-"))
    report = Report(
        f"bench/ack.py: {args.sends} sends, {args.concurrency} at a time, Hey Now 50 ms"
    )
    with slack_standin_process() as slack_url:
        sim = SimulatorProcess(workdir, load_config(), step_seconds=1000)
        sim.control(
            "/_sim/faults",
            {"method": "POST", "path": "/api/message/", "delay": 0.05, "count": args.sends * 2},
        )
        bodies = [
            command_body(
                f"send 59891000001 bench {n}", f"C{n % 50:04d}", f"U{n % 50:04d}", slack_url
            )
            for n in range(args.sends)
        ]
        bare, bare_url = bare_bolt(workdir, slack_url)
        env = app_env(slack_url, sim.url, workdir / "bench.db", LOG_LEVEL="WARNING", **DEFAULTS)
        app = AppProcess(workdir, env)
        base: list[list[float]] = []
        ours: list[list[float]] = []
        try:
            warm = [command_body("help", "C0WARM", "U0WARM", slack_url) for _ in range(50)]
            timed_posts(bare_url + "/slack/events", warm, concurrency=10)
            timed_posts(app.url + "/slack/events", warm, concurrency=10)
            started = time.monotonic()
            for n in range(args.rounds):
                part = bodies[n :: args.rounds]
                base.append(
                    timed_posts(bare_url + "/slack/events", part, concurrency=args.concurrency)
                )
                ours.append(
                    timed_posts(app.url + "/slack/events", part, concurrency=args.concurrency)
                )
                sent = {f"bench {i}" for i in range(n, args.sends, args.rounds)}
                wait_for(  # this round's background is done before the bare app is measured again
                    lambda sent=sent: sent <= {m["text"] for m in sim.messages()}, timeout=120
                )
                time.sleep(1)
            texts = {f"bench {n}" for n in range(args.sends)}
            wait_for(
                lambda: texts <= {m["text"] for m in sim.messages()}, timeout=args.sends * 0.2 + 30
            )
            drained = time.monotonic() - started
            time.sleep(1)
            reached = Counter(m["text"] for m in sim.messages() if m["text"] in texts)
        finally:
            bare.stop()
            app.stop()
            sim.stop()
    for label, p in (("p50", 50), ("p99", 99)):
        limit = 1.3 if p == 50 else 2.0
        theirs_p = statistics.median(percentile(r, p) for r in base)
        ours_p = statistics.median(percentile(r, p) for r in ours)
        ratio = ours_p / theirs_p
        report.add(f"bare Bolt ack {label} (median of {args.rounds} rounds)", ms(theirs_p))
        report.add(
            f"heynow-slack ack {label} (median of {args.rounds} rounds)",
            f"{ms(ours_p)} ({ratio:.2f}x)",
            f"<= {limit}x",
            ratio <= limit,
        )
    once = sum(1 for n in reached.values() if n == 1)
    report.add(
        "sends that reached Hey Now exactly once",
        f"{once} of {args.sends}",
        "all",
        once == args.sends == len(reached),
    )
    report.add("all sends done at Hey Now after", f"{drained:.1f} s")
    report.finish()


if __name__ == "__main__":
    main()
