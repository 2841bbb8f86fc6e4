"""The cost of one poll-and-flush cycle, with a small history against a large one.

In process, no HTTP: a Store on a temporary file, built with direct SQL inserts. Small: 100
tracked sent messages (send_state 'sent', next poll in the future) and no outbox history.
Large: 10,000 tracked sent messages and 100,000 posted outbox rows (10 per message). One cycle
is what the app's background does when it looks for work: `store.messages.claim_polls(now, 200,
30)` (the status poll's tick) and `store.outbox.claim(owner, now, 30)` (a poster's step).

Idle: nothing due in either. Due: 10 messages due for a poll and 10 outbox rows due (one per
message's thread): claim_polls takes the 10, and the outbox is claimed until it says None (10
rows, then one empty claim); everything is put back, untimed, before the next cycle. Each is
timed `--cycles` times per store, the two stores alternating in blocks, median and p99 in
microseconds; and counted in SQLite virtual-machine steps (`set_progress_handler(counter, 1)`,
deterministic). Targets: the large store's cycle within 1.5x of the small one's, in median time
and in VM steps, idle and due (what a cycle costs follows what is due, not the history).

    .venv/bin/python bench/poll.py [--cycles 2000]
"""

from __future__ import annotations

import argparse
import gc
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from common import Report, percentile

from storage import Store

SLOWDOWN_TARGET = 1.5
POLL_BATCH = 200  # bot.jobs.status_poll.BATCH
LEASE = 30.0
DUE = 10
OWNER = "bench:1:poll"
BLOCK = 100  # cycles of one store before the other's


@dataclass
class History:
    """A store, and what of it is due when a due cycle starts."""

    name: str
    store: Store
    due_messages: list[int] = field(default_factory=list)
    due_outbox: list[int] = field(default_factory=list)


def build(path: Path, name: str, tracked: int, posted: int, now: float) -> History:
    store = Store(path)
    conn = store.db.conn
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO messages (id, request_key, team_id, slack_channel, slack_user, "
        "posted_channel, slack_ts, channel_id, platform_id, client_id, client_name, text, "
        "id_message_hey, send_state, status, created_at, sent_at, checked_at, next_poll_at, "
        "poll_interval, shown_line) "
        "VALUES (?, ?, 'T0BENCH', ?, ?, ?, ?, 1, '59899000001', '59891000001', 'Ana', "
        "'hello', ?, 'sent', 'RS', ?, ?, ?, ?, 300, 'RS')",
        [
            (
                n,
                f"command:T0BENCH:{n}",
                f"C{n % 50:04d}",
                f"U{n % 500:04d}",
                f"C{n % 50:04d}",
                f"{now - 86400 + n:.6f}",
                f"hey-{n}",
                now - 86400 + n,
                now - 86400 + n,
                now - 60,
                # future polls, spread over the next hour (HEYNOW_POLL_MAX_SECONDS is 300)
                now + 600 + (n * 7919) % 3000,
            )
            for n in range(1, tracked + 1)
        ],
    )
    kinds = ["announce", "status_line", "reply", "reply", "status_line"]

    def outbox_rows() -> Iterator[tuple[object, ...]]:
        for n in range(posted):
            m, k = n % tracked + 1, n // tracked  # row k of message m's thread
            channel, at = f"C{m % 50:04d}", now - 86400 + m
            yield (
                f"m{m}:hist:{k}",
                kinds[k % len(kinds)],
                f"message:{m}",
                m,
                channel,
                f"U{m % 500:04d}",
                at,
                at,
                channel,
                at + k,
                channel,
                f"{at:.6f}",
            )

    conn.executemany(
        "INSERT INTO outbox (dedupe_key, kind, topic, message_id, channel, user, payload, "
        "state, attempts, next_attempt_at, created_at, attempt_channel, posted_at, "
        "posted_channel, posted_ts) "
        "VALUES (?, ?, ?, ?, ?, ?, '{}', 'posted', 1, ?, ?, ?, ?, ?, ?)",
        outbox_rows(),
    )
    # the due cycle's work: 10 messages (spread through the table) and a reply in each thread
    history = History(name, store)
    history.due_messages = [1 + n * (tracked // DUE) for n in range(DUE)]
    for m in history.due_messages:
        cursor = conn.execute(
            "INSERT INTO outbox (dedupe_key, kind, topic, message_id, payload, state, attempts, "
            "next_attempt_at, created_at, maybe_posted) "
            "VALUES (?, 'reply', ?, ?, '{\"reply\": \"delivered\"}', 'posted', 0, ?, ?, 0)",
            [f"m{m}:reply:due", f"message:{m}", m, now - 1, now - 1],
        )
        assert cursor.lastrowid is not None
        history.due_outbox.append(cursor.lastrowid)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # as the app's checkpoint job keeps it
    return history


def make_due(history: History, now: float) -> None:
    """Untimed: the 10 messages due for a poll and their 10 outbox rows due, unleased."""
    conn = history.store.db.conn
    marks = ",".join("?" * DUE)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        f"UPDATE messages SET next_poll_at = ? WHERE id IN ({marks})",
        [now - 1, *history.due_messages],
    )
    conn.execute(
        "UPDATE outbox SET state = 'due', lease_owner = NULL, lease_expires = NULL, "
        f"attempts = 0, maybe_posted = 0, next_attempt_at = ? WHERE id IN ({marks})",
        [now - 1, *history.due_outbox],
    )
    conn.execute("COMMIT")


def put_back(history: History, now: float) -> None:
    """Untimed: nothing due again (the due outbox rows parked as 'posted')."""
    conn = history.store.db.conn
    marks = ",".join("?" * DUE)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        f"UPDATE messages SET next_poll_at = ? WHERE id IN ({marks})",
        [now + 3600, *history.due_messages],
    )
    conn.execute(
        "UPDATE outbox SET state = 'posted', lease_owner = NULL, lease_expires = NULL "
        f"WHERE id IN ({marks})",
        [*history.due_outbox],
    )
    conn.execute("COMMIT")


def idle_cycle(history: History) -> tuple[int, int]:
    """claim_polls and one outbox claim with nothing due; (polls taken, rows taken)."""
    store, now = history.store, time.time()
    polls = store.messages.claim_polls(now, POLL_BATCH, LEASE)
    row = store.outbox.claim(OWNER, now, LEASE)
    return len(polls), int(row is not None)


def due_cycle(history: History) -> tuple[int, int]:
    """claim_polls taking the due messages, and outbox claims until none is due."""
    store, now = history.store, time.time()
    polls = store.messages.claim_polls(now, POLL_BATCH, LEASE)
    rows = 0
    while store.outbox.claim(OWNER, now, LEASE) is not None:
        rows += 1
    return len(polls), rows


@dataclass
class Measured:
    micros: list[float] = field(default_factory=list)
    steps: int = 0
    steps_polls: int = 0
    steps_outbox: int = 0
    taken: tuple[int, int] = (0, 0)


def time_cycles(
    histories: list[History],
    cycle: Callable[[History], tuple[int, int]],
    cycles: int,
    *,
    due: bool,
) -> dict[str, Measured]:
    """`cycles` timed cycles per store, the stores alternating every BLOCK cycles."""
    measured = {h.name: Measured() for h in histories}
    gc.disable()
    try:
        for _ in range(0, cycles, BLOCK):
            for history in histories:
                for _ in range(BLOCK):
                    if due:
                        make_due(history, time.time())
                    started = time.perf_counter_ns()
                    taken = cycle(history)
                    took = time.perf_counter_ns() - started
                    measured[history.name].micros.append(took / 1000)
                    measured[history.name].taken = taken
                    if due:
                        put_back(history, time.time())
    finally:
        gc.enable()
    for history in histories:
        count_steps(history, measured[history.name], due=due)
    return measured


def count_steps(history: History, into: Measured, *, due: bool) -> None:
    """SQLite VM steps of one cycle, of claim_polls and of the outbox claims apart."""
    store = history.store
    conn = store.db.conn
    steps = [0]

    def counter() -> int:
        steps[0] += 1
        return 0

    if due:
        make_due(history, time.time())
    now = time.time()
    conn.set_progress_handler(counter, 1)
    try:
        store.messages.claim_polls(now, POLL_BATCH, LEASE)
        into.steps_polls = steps[0]
        while store.outbox.claim(OWNER, now, LEASE) is not None:
            pass
        into.steps = steps[0]
        into.steps_outbox = into.steps - into.steps_polls
    finally:
        conn.set_progress_handler(None, 1)
    if due:
        put_back(history, time.time())


def query_plans(history: History, *, due: bool) -> str:
    """EXPLAIN QUERY PLAN of every statement one cycle runs (captured with a trace callback,
    so these are the app's own statements, with their parameters filled in)."""
    store = history.store
    conn = store.db.conn
    seen: list[str] = []
    if due:
        make_due(history, time.time())
    conn.set_trace_callback(seen.append)
    try:
        (due_cycle if due else idle_cycle)(history)
    finally:
        conn.set_trace_callback(None)
    if due:
        put_back(history, time.time())
    shapes: dict[str, str] = {}
    for sql in seen:
        if sql.split()[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            continue
        shape = re.sub(r"'[^']*'|\b\d+(\.\d+)?\b", "?", " ".join(sql.split()))
        shapes.setdefault(shape, sql)
    lines = [f"EXPLAIN QUERY PLAN, {'due' if due else 'idle'} cycle ({history.name} store):"]
    for sql in shapes.values():
        lines.append("    " + " ".join(sql.split()))
        depth = {0: -1}  # a plan row names its parent row's id; 0 is the top
        for node, parent, _, detail in conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall():
            depth[node] = depth.get(parent, -1) + 1
            lines.append(f"        {'  ' * depth[node]}{detail}")
    return "\n".join(lines)


def micros(value: float) -> str:
    return f"{value:.0f} µs"


def add_rows(
    report: Report, label: str, measured: dict[str, Measured], small: str, large: str
) -> None:
    for name in (small, large):
        m = measured[name]
        report.add(
            f"{label}, {name}: median / p99 (polls, rows taken)",
            f"{micros(statistics.median(m.micros))} / {micros(percentile(m.micros, 99))} "
            f"({m.taken[0]}, {m.taken[1]})",
        )
        report.add(
            f"{label}, {name}: VM steps (claim_polls + outbox)",
            f"{m.steps} ({m.steps_polls} + {m.steps_outbox})",
        )
    time_ratio = statistics.median(measured[large].micros) / statistics.median(
        measured[small].micros
    )
    step_ratio = measured[large].steps / measured[small].steps
    report.add(
        f"{label}: {large} against {small}, median time",
        f"{time_ratio:.2f}x",
        f"<= {SLOWDOWN_TARGET}x",
        time_ratio <= SLOWDOWN_TARGET,
    )
    report.add(
        f"{label}: {large} against {small}, VM steps",
        f"{step_ratio:.2f}x",
        f"<= {SLOWDOWN_TARGET}x",
        step_ratio <= SLOWDOWN_TARGET,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2000, help="per store and kind of cycle")
    parser.add_argument("--tracked", type=int, default=10_000, help="large store's messages")
    parser.add_argument("--posted", type=int, default=100_000, help="large store's outbox rows")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    now = time.time()
    started = time.perf_counter()
    small = build(workdir / "small.db", "small", 100, 0, now)
    large = build(workdir / "large.db", "large", args.tracked, args.posted, now)
    built = time.perf_counter() - started
    report = Report(
        f"bench/poll.py: one poll-and-flush cycle, small (100 tracked, no outbox history) vs "
        f"large ({args.tracked:,} tracked, {args.posted:,} posted outbox rows), "
        f"{args.cycles} cycles each"
    )
    histories = [small, large]
    idle = time_cycles(histories, idle_cycle, args.cycles, due=False)
    due = time_cycles(histories, due_cycle, args.cycles, due=True)
    add_rows(report, "idle cycle", idle, "small", "large")
    add_rows(report, f"{DUE} due", due, "small", "large")
    size = sum(f.stat().st_size for f in workdir.glob("large.db*")) / 2**20
    report.add("large store: built in / file size", f"{built:.1f} s / {size:.1f} MB")
    report.notes.append(query_plans(large, due=False))
    report.notes.append(query_plans(large, due=True))
    for history in histories:
        history.store.close()
    report.finish()


if __name__ == "__main__":
    main()
