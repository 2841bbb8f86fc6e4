"""Outbox throughput and isolation: the channel posts of many sends, with Slack fast, slow, or
rate-limiting one channel.

The real app process (production poll defaults), the Hey Now simulator process (statuses do not
move, so each send owes exactly one post: its top-level channel post) and the Slack stand-in in a
child process of its own (bench/common.standin_process), each run with a fresh app and database.
Commands are signed `/heynow send`s, each from its own user, sent `--concurrency` at a time.

(a) Slack answers at once; (b) Slack answers chat.postMessage in 50 ms (after taking the post).
    Each: `--sends` commands across `--channels` channels; measured from the first command until
    the last of their channel posts reached the stand-in. Target: (b) within 1.5x of (a).
(c) One channel answers 429 (Retry-After 5 s) to every call: it first gets `--limited-sends`
    sends in a burst (a channel with many posts owed is the one Slack rate-limits), then
    `--others` channels get `--other-sends` sends between them, paced evenly over `--c-seconds`
    (a steady stream: the 429 comes back every Retry-After while they run). The same pattern
    runs once more without the 429 (c0). For each other channel: the time from each command's
    ack (its answer at the client) to its channel post, the channel's worst post in (c) against
    its worst in (c0). Target: no other channel delayed by more than 1 s. (A negative time: the
    post reached Slack before the ack reached the client.) `--c-seconds 0` sends them in one
    burst instead: then the run is over before the first Retry-After ends, and (c) shows
    little.

    .venv/bin/python bench/outbox.py [--sends 500] [--channels 50] [--concurrency 50]
        [--rounds 2] [--others 10] [--other-sends 100] [--limited-sends 20] [--c-seconds 20]
        [--skip ab|c]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ack import DEFAULTS
from common import (
    Answered,
    Report,
    command_body,
    is_channel_post,
    ms,
    percentile,
    posts_answered,
    standin_process,
)

from bot.simulator import load_config
from tests.e2e.harness import AppProcess, SimulatorProcess, app_env

SLOW_SLACK = 0.05  # seconds chat.postMessage takes to answer in (b)
SLOWDOWN_TARGET = 1.5
RETRY_AFTER = 5
DELAY_TARGET = 1.0  # seconds another channel's posts may be held up by the 429 channel
LIMITED = "C0LIMITED"
LIMITED_METHODS = (
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "conversations.history",
    "conversations.replies",
)
WARM_SENDS = 10
FAR = 3600.0  # a fault's `until`, seconds from now: longer than any run
MARKER = re.compile(r"\b(bench|first|warm)-(\d+)\b")


@dataclass(frozen=True)
class Command:
    channel: str
    user: str


@dataclass
class Run:
    """What one run measured; times are time.time() on this machine."""

    name: str
    started: float  # just before the first command
    acks: list[Answered]  # per command, in order
    posts: dict[int, float]  # command index -> when its channel post reached the stand-in
    repeats: int  # channel posts beyond the first for the same command
    at_heynow: list[float]  # when each measured send reached Hey Now
    calls: list[dict[str, Any]]

    @property
    def all_posted(self) -> float:
        return max(self.posts.values()) - self.started

    @property
    def all_acked(self) -> float:
        return max(a.at for a in self.acks) - self.started

    @property
    def all_sent(self) -> float:
        return max(self.at_heynow) - self.started

    def latency(self, index: int) -> float:
        """From the command's ack to its channel post."""
        return self.posts[index] - self.acks[index].at


def body_for(n: int, command: Command, slack_url: str, tag: str = "bench") -> bytes:
    return command_body(f"send 59891000001 {tag}-{n}", command.channel, command.user, slack_url)


def run(
    workdir: Path,
    name: str,
    commands: list[Command],
    *,
    concurrency: int,
    expected_posts: int,
    faults: list[dict[str, Any]],
    every: float = 0.0,
    first: tuple[Command, ...] = (),
) -> Run:
    """A fresh stand-in, simulator, app and database; warm-up sends, then the burst `first`
    (not measured), then `commands` (paced `every` seconds apart, if given); then wait for
    `expected_posts` channel posts (of `first` and `commands`)."""
    with standin_process() as slack:
        sim = SimulatorProcess(workdir, load_config(), step_seconds=10**6)
        env = app_env(slack.url, sim.url, workdir / f"{name}.db", LOG_LEVEL="WARNING", **DEFAULTS)
        app = AppProcess(workdir, env)
        try:
            for fault in faults:
                slack.inject(**{"until": time.time() + FAR, **fault})
            events = app.url + "/slack/events"
            # Warm-up: Hey Now's login, the contact name's cache, the first post's imports.
            warm = [
                body_for(n, Command("C0WARM", f"U0WARM{n:03d}"), slack.url, "warm")
                for n in range(WARM_SENDS)
            ]
            posts_answered(events, warm, concurrency=WARM_SENDS)
            if slack.wait_posts(WARM_SENDS, 30) < WARM_SENDS:
                raise SystemExit(f"{name}: the warm-up posts did not arrive")
            time.sleep(1)
            if first:
                burst = [body_for(n, c, slack.url, "first") for n, c in enumerate(first)]
                posts_answered(events, burst, concurrency=min(len(burst), concurrency))
            bodies = [body_for(n, c, slack.url) for n, c in enumerate(commands)]
            started = time.time()
            acks = posts_answered(events, bodies, concurrency=concurrency, every=every)
            total = WARM_SENDS + expected_posts
            got = slack.wait_posts(total, timeout=60 + len(commands) * 0.2)
            if got < total:
                raise SystemExit(f"{name}: {got - WARM_SENDS} of {expected_posts} posts arrived")
            time.sleep(1)  # a post made twice would come now
            calls = slack.calls()
            at_heynow = [
                m["created"] for m in sim.messages() if str(m["text"]).startswith("bench-")
            ]
        finally:
            app.stop()
            sim.stop()
    posts: dict[int, float] = {}
    repeats = 0
    for call in calls:
        if call["answered"] == 200 and is_channel_post(call["method"], call["body"]):
            found = MARKER.search(json.dumps(call["body"].get("blocks")))
            if found and found.group(1) == "bench":
                repeats += int(found.group(2)) in posts
                posts.setdefault(int(found.group(2)), call["at"])
    return Run(name, started, acks, posts, repeats, at_heynow, calls)


def limited_calls(result: Run) -> list[float]:
    """When (seconds into the run) the rate-limited channel got a call."""
    return sorted(
        c["at"] - result.started
        for c in result.calls
        if c["body"].get("channel") == LIMITED and c["at"] >= result.started
    )


def throughput(args: argparse.Namespace, workdir: Path, report: Report) -> None:
    commands = [Command(f"C{n % args.channels:04d}", f"U{n:05d}") for n in range(args.sends)]
    runs: dict[str, list[Run]] = {"a": [], "b": []}
    for n in range(args.rounds):
        for key, faults in (
            ("a", []),
            ("b", [{"method": "chat.postMessage", "delay": SLOW_SLACK}]),
        ):
            result = run(
                workdir,
                f"{key}{n}",
                commands,
                concurrency=args.concurrency,
                expected_posts=args.sends,
                faults=faults,
            )
            runs[key].append(result)
            print(
                f"  ({key}) round {n + 1}: acked {result.all_acked:.2f} s, at Hey Now "
                f"{result.all_sent:.2f} s, posted {result.all_posted:.2f} s",
                flush=True,
            )
    rounds = f"median of {args.rounds}" if args.rounds > 1 else "1 round"
    fast = statistics.median(r.all_posted for r in runs["a"])
    slow = statistics.median(r.all_posted for r in runs["b"])
    for key, label in (("a", "Slack at once"), ("b", f"Slack in {ms(SLOW_SLACK)}")):
        some = runs[key]
        acked = statistics.median(r.all_acked for r in some)
        sent = statistics.median(r.all_sent for r in some)
        ack_p99 = statistics.median(percentile([a.seconds for a in r.acks], 99) for r in some)
        report.add(f"({key}) {label}: last command acked ({rounds})", f"{acked:.2f} s")
        report.add(f"({key}) {label}: ack p99", ms(ack_p99))
        report.add(f"({key}) {label}: last send at Hey Now", f"{sent:.2f} s")
        posted = statistics.median(r.all_posted for r in some)
        rate = args.sends / posted
        if key == "a":
            report.add(
                f"(a) {label}: all {args.sends} channel posts at Slack",
                f"{posted:.2f} s ({rate:.0f}/s)",
            )
        else:
            ratio = slow / fast
            report.add(
                f"(b) {label}: all {args.sends} channel posts at Slack",
                f"{posted:.2f} s ({rate:.0f}/s, {ratio:.2f}x (a))",
                f"<= {SLOWDOWN_TARGET}x (a)",
                ratio <= SLOWDOWN_TARGET,
            )
    every_run = runs["a"] + runs["b"]
    once = sum(1 for r in every_run if len(r.posts) == args.sends and not r.repeats)
    report.add(
        "(a), (b): runs with exactly one channel post per send",
        f"{once} of {len(every_run)}",
        "all",
        once == len(every_run),
    )


def isolation(args: argparse.Namespace, workdir: Path, report: Report) -> None:
    others = [f"C1{n:03d}" for n in range(args.others)]
    # The limited channel's sends come first, in one burst (a channel with many posts owed is
    # the one Slack rate-limits); then the others' sends, paced, round the channels.
    first = tuple(Command(LIMITED, f"U2{n:04d}") for n in range(args.limited_sends))
    commands = [Command(others[n % args.others], f"U1{n:04d}") for n in range(args.other_sends)]
    limit = [
        {"method": m, "channel": LIMITED, "status": 429, "retry_after": RETRY_AFTER}
        for m in LIMITED_METHODS
    ]
    every = args.c_seconds / len(commands)

    def run_pattern(name: str, expected_posts: int, faults: list[dict[str, Any]]) -> Run:
        return run(
            workdir,
            name,
            commands,
            concurrency=args.concurrency,
            expected_posts=expected_posts,
            faults=faults,
            every=every,
            first=first,
        )

    base = run_pattern("c0", len(first) + len(commands), [])
    limited = run_pattern("c", len(commands), limit)
    everyone = range(len(commands))
    worst_delay, worst_channel = float("-inf"), ""
    lines = ["(c) per channel, ack to channel post, worst (p50): c0 (no 429) / c (429 channel)"]
    for channel in others:
        mine = [i for i in everyone if commands[i].channel == channel]
        without = [base.latency(i) for i in mine]
        with_limit = [limited.latency(i) for i in mine]
        delay = max(with_limit) - max(without)
        if delay > worst_delay:
            worst_delay, worst_channel = delay, channel
        lines.append(
            f"    {channel}: {ms(max(without))} ({ms(statistics.median(without))}) / "
            f"{ms(max(with_limit))} ({ms(statistics.median(with_limit))}): "
            f"delayed {ms(delay)}"
        )
    report.notes.append("\n".join(lines))
    report.notes.append(timeline(commands, base, limited))
    pattern = (
        f"{len(first)} sends to the 429 channel, then {len(commands)} to {args.others} "
        f"channels over {args.c_seconds:.0f} s"
    )
    all_base = [base.latency(i) for i in everyone]
    all_limited = [limited.latency(i) for i in everyone]
    report.add(
        f"(c0) {pattern}, no 429: ack to post p50 / max",
        f"{ms(statistics.median(all_base))} / {ms(max(all_base))}",
    )
    report.add(
        f"(c) the same, one channel 429 (Retry-After {RETRY_AFTER} s): p50 / max",
        f"{ms(statistics.median(all_limited))} / {ms(max(all_limited))}",
    )
    matched = max(limited.latency(i) - base.latency(i) for i in everyone)
    report.add("(c) largest delay of one post against the same post in c0", ms(matched))
    report.add(
        "(c) worst other channel: its worst post, c against c0",
        f"{ms(worst_delay)} ({worst_channel})",
        f"<= {ms(DELAY_TARGET)} every channel",
        worst_delay <= DELAY_TARGET,
    )
    times = limited_calls(limited)
    report.add(
        f"(c) calls the 429 channel got (Retry-After {RETRY_AFTER} s)",
        f"{len(times)}, at {', '.join(f'{t:.1f}' for t in times)} s",
    )


def timeline(commands: list[Command], base: Run, limited: Run) -> str:
    """Per second of the run: the worst ack-to-post time of the commands acked in it, without
    and with the 429 channel, and the calls the 429 channel got in that second."""
    buckets: dict[int, tuple[list[float], list[float]]] = {}
    for i in range(len(commands)):
        for run_, column in ((base, 0), (limited, 1)):
            second = int(run_.acks[i].at - run_.started)
            buckets.setdefault(second, ([], []))[column].append(run_.latency(i))
    calls = limited_calls(limited)
    lines = ["(c) second of the run: worst ack-to-post, c0 / c; `429` where the channel was called"]
    for second in sorted(buckets):
        without, with_limit = buckets[second]
        hits = sum(1 for t in calls if second <= t < second + 1)
        mark = " 429" * hits
        lines.append(
            f"    {second:3d} s: {_worst(without)} / {_worst(with_limit)}"
            f"  {'#' * round(max(with_limit, default=0) * 10)}{mark}"
        )
    return "\n".join(lines)


def _worst(values: list[float]) -> str:
    return f"{max(values) * 1000:6.0f} ms" if values else "     - ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=500)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2, help="of (a) and (b), alternating")
    parser.add_argument("--others", type=int, default=10)
    parser.add_argument("--other-sends", type=int, default=100)
    parser.add_argument("--limited-sends", type=int, default=20)
    parser.add_argument(
        "--c-seconds", type=float, default=20, help="(c): the others' sends spread over this"
    )
    parser.add_argument("--skip", choices=["ab", "c"], help="leave out (a)+(b) or (c)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    report = Report(
        f"bench/outbox.py: {args.sends} sends to {args.channels} channels, "
        f"{args.concurrency} at a time; production poll defaults"
    )
    if args.skip != "ab":
        throughput(args, workdir, report)
    if args.skip != "c":
        isolation(args, workdir, report)
    report.notes.append(f"logs in {workdir}")
    report.finish()


if __name__ == "__main__":
    main()
