"""Ack latency of /heynow send: how long Slack waits for the app's answer (it allows 3 s).

Runs the real app process against the simulator process and a recording Slack API, like the
end-to-end tests, and sends a bounded number of signed commands while Hey Now answers slowly,
so the measurement shows that the ack does not wait for Hey Now.

    .venv/bin/python bench/ack_latency.py [--commands 40] [--heynow-delay 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.httpserver import start_in_thread  # noqa: E402
from bot.local.standin import SlackStandIn  # noqa: E402
from bot.simulator import load_config  # noqa: E402
from tests.e2e.harness import BOT_TOKEN, AppProcess, SimulatorProcess, SlackUser, app_env, wait_for  # noqa: E402
from tests.e2e.slackview import channel_posts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=40)
    parser.add_argument(
        "--heynow-delay", type=float, default=1.0, help="seconds Hey Now takes per send"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    slack = SlackStandIn(token=BOT_TOKEN)
    slack_server = start_in_thread(slack)
    sim = SimulatorProcess(workdir, load_config(), step_seconds=1000)
    settings = {"HEYNOW_STUCK_MINUTES": "30", "HEYNOW_POLL_GIVE_UP_HOURS": "48"}
    app = AppProcess(workdir, app_env(slack_server.url, sim.url, workdir / "bench.db", **settings))
    try:
        sim.control(
            "/_sim/faults",
            {
                "method": "POST",
                "path": "/api/message/",
                "delay": args.heynow_delay,
                "count": args.commands,
            },
        )
        person = SlackUser(app, slack_server.url)
        acks, started = [], time.monotonic()
        for n in range(args.commands):
            t0 = time.perf_counter()
            response, _ = person.slash(f"send 59891000001 bench {n}")
            acks.append(time.perf_counter() - t0)
            assert response.status_code == 200

        def outcomes() -> tuple[int, int]:
            posted = channel_posts(slack, person.channel)  # the tracking posts, not thread replies
            answered = slack.of("response_url")  # a send answered in words: not sent, or unknown
            return len(posted), len(answered)

        wait_for(
            lambda: sum(outcomes()) >= args.commands, timeout=args.commands * args.heynow_delay + 60
        )
        total = time.monotonic() - started
        posted, answered = outcomes()
        acks.sort()
        print(f"{args.commands} sends, Hey Now taking {args.heynow_delay:.1f}s each")
        print(
            f"ack latency: median {statistics.median(acks) * 1000:.1f} ms, p95 {acks[int(len(acks) * 0.95) - 1] * 1000:.1f} ms, max {acks[-1] * 1000:.1f} ms (Slack allows 3000 ms)"
        )
        print(
            f"every send had its outcome after {total:.1f}s: {posted} posted in the channel, {answered} answered"
        )
    finally:
        app.stop()
        sim.stop()
        slack_server.stop()


if __name__ == "__main__":
    main()
