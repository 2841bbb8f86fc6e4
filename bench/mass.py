"""Mass sends: throughput against a one-at-a-time client, pacing, memory, a kill -9 mid-run, and
the ack of other commands while a run goes on.

The real app process (production poll defaults), the Hey Now simulator process answering every
`masiveMessage` in 20 ms, and the Slack stand-in in a child process of its own. Each request is
made as people make it: `/heynow mass` opens the form, the form is submitted with a CSV uploaded
to the stand-in (one column `telefono`, Messenger 2:104857600123456, which does not validate
contacts), and an approver clicks `mass_approve` on the approval post in the approvals channel.
Each run has a fresh app and database; the simulator and the stand-in are shared, each run with
its own recipients. Sends are counted at the simulator's request log (its `at`: arrival).

(1) 10,000 recipients, HEYNOW_MASS_RATE 1000 (pacing does not bind): the run's sends a second
    against a plain loop of sequential httpx POSTs to the same simulator's masiveMessage (200
    recipients, measured in the same run). The run's rate is taken from its 200th send to the
    last send before (5) starts probing (the probes hold the run back on purpose: acks first,
    bot.jobs.priority); the whole run's rate is shown too. Target: >= 20x.
(2) HEYNOW_MASS_RATE 50, 1,500 recipients: the rate from the 250th to the 1,250th send (1,000
    sends, about 20 s). Target: within 5% of 50/s.
(3) The app's peak RSS (VmHWM) during (1). Target: < 200 MB.
(4) 3,000 recipients at HEYNOW_MASS_RATE 1000, the app killed (SIGKILL) at a random point of
    the run, restarted on the same database, run to its end. A send in flight at the kill may or
    may not have reached Hey Now; the app records such a recipient `unknown` and never re-sends
    it. Targets: no recipient sent twice; none left unsent and not unknown; every recipient sent
    exactly once but the unknown ones that did not reach the simulator (reported apart); at
    most 8 unknown (the runner threads).
(5) `/heynow help` ack p50 while (1) runs against its p50 with the app idle (the same probe:
    sequential, one every 0.1 s). Target: <= 2x.
Also shown: the view submission's ack with the 10,000-row CSV (Slack waits 3 s for it).

    .venv/bin/python bench/mass.py [--recipients 10000] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
from ack import DEFAULTS
from common import Report, StandInProcess, command_body, ms, posts_answered, standin_process

from bot.simulator import load_config
from tests.e2e.harness import TEAM, AppProcess, SimulatorProcess, app_env, slack_sign

MESSENGER = "2:104857600123456"
APPROVALS = "C0APPROVE"
BOSS = "U0BOSS"
AGENT = "U0AGENT"
DESK = "C0DESK"
FIRST_ID = 2458811200000000  # recipient n of run k: FIRST_ID + k * 1_000_000 + n
BASELINE_ID = 2458811290000000
HEYNOW_DELAY = 0.02
RUNNERS = 8  # bot.app.MASS_RUNNERS
THROUGHPUT_TARGET = 20.0
RATE_TOLERANCE = 0.05
MEMORY_TARGET_MB = 200.0
ACK_TARGET = 2.0
PROBES = 60
PROBE_EVERY = 0.1
PROBE_AFTER = 8.0  # seconds into run (1) when (5) starts probing
TEXT = "Hola {nombre}, tu pedido está listo"


def mass_env(slack_url: str, sim_url: str, database: Path, rate: int) -> dict[str, str]:
    return app_env(
        slack_url,
        sim_url,
        database,
        LOG_LEVEL="WARNING",
        **DEFAULTS,
        HEYNOW_APPROVALS_CHANNEL=APPROVALS,
        HEYNOW_APPROVERS=BOSS,
        HEYNOW_MASS_PLATFORMS=f"{MESSENGER}=Facebook",
        HEYNOW_MASS_RATE=str(rate),
    )


def recipients(run: int, count: int) -> list[str]:
    return [str(FIRST_ID + run * 1_000_000 + n) for n in range(count)]


def csv_of(ids: list[str]) -> bytes:
    return ("telefono,nombre\r\n" + "".join(f"{c},Cliente {c[-4:]}\r\n" for c in ids)).encode()


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def interaction(user: str, channel: str, payload: dict[str, Any]) -> bytes:
    payload = {
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0BENCH",
        "token": "legacy",
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex[:12]}",
        "channel": {"id": channel},
        **payload,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def signed(app: AppProcess, body: bytes, timeout: float = 10) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = httpx.post(
        app.url + "/slack/events", content=body, headers=slack_sign(body), timeout=timeout
    )
    return response, time.perf_counter() - started


@dataclass
class Request:
    """One mass request as people made it: its submit's ack, and when it was approved."""

    ids: list[str]
    submit_seconds: float
    approved_at: float


def request_and_approve(app: AppProcess, slack: StandInProcess, ids: list[str]) -> Request:
    """`/heynow mass`, the form submitted with a CSV, the approval post's mass_approve clicked."""
    seen = len(slack.calls())
    body = command_body("mass", DESK, AGENT, slack.url)
    trigger = parse_qs(body.decode())["trigger_id"][0]
    answer, _ = signed(app, body)
    answer.raise_for_status()

    def opened() -> dict[str, Any] | None:
        for call in slack.calls()[seen:]:
            if call["method"] == "views.open" and call["body"].get("trigger_id") == trigger:
                view = call["body"]["view"]
                return dict(json.loads(view) if isinstance(view, str) else view)
        return None

    view = wait_until(opened, 10, "the mass form to open")
    file = slack.add_file("clientes.csv", csv_of(ids))
    values = {
        "platform": {"value": {"type": "static_select", "selected_option": {"value": MESSENGER}}},
        "recipients": {"value": {"type": "plain_text_input", "value": ""}},
        "file": {"value": {"type": "file_input", "files": [file]}},
        "text": {"value": {"type": "plain_text_input", "value": TEXT}},
        "not_before": {"value": {"type": "datetimepicker", "selected_date_time": None}},
    }
    submitted = {
        **view,
        "id": "V" + uuid.uuid4().hex[:10].upper(),
        "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        "team_id": TEAM,
        "state": {"values": values},
    }
    body = interaction(AGENT, DESK, {"type": "view_submission", "view": submitted})
    answer, submit_seconds = signed(app, body)
    if answer.status_code != 200 or "errors" in answer.text:
        raise SystemExit(f"the form was refused: {answer.status_code} {answer.text[:300]}")

    def approve_button() -> tuple[dict[str, Any], str] | None:
        for call in slack.calls()[seen:]:
            if call["method"] != "chat.postMessage" or call["body"].get("channel") != APPROVALS:
                continue
            blocks = call["body"].get("blocks") or []
            blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
            for block in blocks:
                for element in block.get("elements", []):
                    if element.get("action_id") == "mass_approve":
                        return element, block["block_id"]
        return None

    element, block_id = wait_until(approve_button, 15, "the approval post")
    ref = "click-" + uuid.uuid4().hex[:8]
    click = {
        "type": "block_actions",
        "container": {"type": "message", "message_ts": "1.000001"},
        "response_url": f"{slack.url}/respond/{ref}",
        "actions": [
            {"type": "button", "block_id": block_id, "action_ts": f"{time.time():.6f}", **element}
        ],
    }
    answer, _ = signed(app, interaction(BOSS, APPROVALS, click))
    answer.raise_for_status()
    return Request(ids, submit_seconds, time.time())


class Database:
    """The app's database, read-only, from outside (what the bench waits on)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
        try:
            return list(conn.execute(sql).fetchall())
        finally:
            conn.close()

    def request_state(self) -> str | None:
        rows = self._rows("SELECT state FROM mass_requests ORDER BY id DESC LIMIT 1")
        return str(rows[0][0]) if rows else None

    def counts(self) -> Counter[str]:
        rows = self._rows("SELECT state, COUNT(*) FROM mass_recipients GROUP BY state")
        return Counter({str(state): int(n) for state, n in rows})

    def states(self) -> dict[str, str]:
        return {
            str(c): str(s) for c, s in self._rows("SELECT client_id, state FROM mass_recipients")
        }


def sends_at(sim: SimulatorProcess, ids: list[str]) -> list[tuple[float, str]]:
    """(arrival, client id) of every masiveMessage the simulator received for `ids`, in order."""
    wanted = set(ids)
    found = []
    for request in sim.requests():
        path = str(request["path"])
        if request["method"] == "POST" and path.startswith("/api/masiveMessage/"):
            client = path.rsplit("/", 1)[1]
            if client in wanted:
                found.append((float(request["at"]), client))
    return sorted(found)


def rate_between(times: list[float], first: int, last: int) -> float:
    return (last - first) / (times[last] - times[first])


def memory_kb(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_finished(db: Database, total: int, timeout: float) -> None:
    def done() -> bool:
        try:
            return db.request_state() == "finished"
        except sqlite3.Error:
            return False

    wait_until(done, timeout, f"the run of {total} to finish", every=0.5)


def baseline(sim: SimulatorProcess, count: int) -> float:
    """A one-at-a-time client: sequential POSTs to masiveMessage; sends a second."""
    with httpx.Client(base_url=sim.url + "/api/", timeout=10) as http:
        login = http.post("login", json={"name": "demo", "password": "demo"})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        channel, platform = MESSENGER.split(":")
        started = time.perf_counter()
        for n in range(count):
            answer = http.post(
                f"masiveMessage/{channel}/{platform}/{BASELINE_ID + n}",
                json={"text": "uno por uno"},
                headers=headers,
            )
            answer.raise_for_status()
        return count / (time.perf_counter() - started)


def probe_acks(app: AppProcess, slack_url: str) -> list[float]:
    bodies = [command_body("help", DESK, f"U0PROBE{n:02d}", slack_url) for n in range(PROBES)]
    answers = posts_answered(app.url + "/slack/events", bodies, concurrency=1, every=PROBE_EVERY)
    return [a.seconds for a in answers]


def throughput_run(
    workdir: Path,
    slack: StandInProcess,
    sim: SimulatorProcess,
    count: int,
    report: Report,
) -> None:
    """(1), (3), (5) and the submit's ack."""
    db_path = workdir / "fast.db"
    app = AppProcess(workdir, mass_env(slack.url, sim.url, db_path, 1000))
    pids = {"app": app.popen.pid, "simulator": sim.popen.pid}
    try:
        warm = [command_body("help", DESK, f"U0WARM{n:02d}", slack.url) for n in range(20)]
        posts_answered(app.url + "/slack/events", warm, concurrency=1)
        one_by_one = baseline(sim, 200)
        idle = probe_acks(app, slack.url)
        idle_rss = memory_kb(app.popen.pid, "VmRSS")
        request = request_and_approve(app, slack, recipients(1, count))
        db = Database(db_path)
        wait_until(lambda: db.request_state() == "running", 10, "the run to start")
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        time.sleep(max(0.0, request.approved_at + PROBE_AFTER - time.time()))
        cpu_steady = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        steady_seconds = time.time() - request.approved_at
        probe_started = time.time()
        during = probe_acks(app, slack.url)
        probe_ended = time.time()
        wait_finished(db, count, timeout=count / 20 + 60)
        peak_kb = memory_kb(app.popen.pid, "VmHWM")
        counts = db.counts()
    finally:
        app.stop()
    arrivals = sends_at(sim, request.ids)
    times = [at for at, _ in arrivals]
    before_probe = [t for t in times if t < probe_started]
    skip = 200
    if len(before_probe) < skip + 100:
        raise SystemExit(f"(1): only {len(before_probe)} sends before the probes began")
    steady = rate_between(before_probe, skip, len(before_probe) - 1)
    whole = rate_between(times, 0, len(times) - 1)
    ratio = steady / one_by_one
    in_probe = [t for t in times if probe_started <= t <= probe_ended]
    report.add(
        f"submit: view_submission ack with a {count:,}-row CSV",
        ms(request.submit_seconds),
        "< 3 s (Slack)",
        request.submit_seconds < 3,
    )
    report.add(
        f"(1) one-at-a-time client: {200} sequential POSTs, Hey Now {ms(HEYNOW_DELAY)}",
        f"{one_by_one:.1f}/s",
    )
    report.add(
        f"(1) mass run, {count:,} at HEYNOW_MASS_RATE 1000: send {skip} to the probes "
        f"({len(before_probe) - skip} sends)",
        f"{steady:.1f}/s ({ratio:.1f}x)",
        f">= {THROUGHPUT_TARGET:.0f}x",
        ratio >= THROUGHPUT_TARGET,
    )
    report.add(
        "(1) the whole run, first to last send (with (5)'s probes in it)",
        f"{whole:.1f}/s ({whole / one_by_one:.1f}x), {times[-1] - times[0]:.1f} s",
    )
    report.add(
        "(1) sends while (5) probed",
        f"{len(in_probe)} in {probe_ended - probe_started:.1f} s "
        f"({len(in_probe) / (probe_ended - probe_started):.1f}/s)",
    )
    report.add(
        "(1) CPU until the probes: app / simulator, of one core (the machine has "
        f"{os.cpu_count()})",
        " / ".join(f"{cpu_steady[n] / steady_seconds * 100:.0f}%" for n in ("app", "simulator"))
        + f" ({cpu_steady['app'] / len(before_probe) * 1000:.2f} ms app CPU a send)",
    )
    once = Counter(c for _, c in arrivals)
    report.add(
        "(1) recipients sent exactly once / outcome in the store",
        f"{sum(1 for n in once.values() if n == 1)} of {count} / "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        "all",
        len(once) == count and all(n == 1 for n in once.values()),
    )
    peak = peak_kb / 1024
    report.add(
        f"(3) app peak RSS (VmHWM) over the {count:,} run (idle RSS {idle_rss / 1024:.1f} MB)",
        f"{peak:.1f} MB",
        f"< {MEMORY_TARGET_MB:.0f} MB",
        peak < MEMORY_TARGET_MB,
    )
    idle_p50, during_p50 = statistics.median(idle), statistics.median(during)
    report.add(
        f"(5) `/heynow help` ack p50 idle ({PROBES}, one every {PROBE_EVERY} s)", ms(idle_p50)
    )
    ack_ratio = during_p50 / idle_p50
    report.add(
        "(5) `/heynow help` ack p50 while (1) runs / max",
        f"{ms(during_p50)} ({ack_ratio:.2f}x) / {ms(max(during))}",
        f"<= {ACK_TARGET:.0f}x",
        ack_ratio <= ACK_TARGET,
    )


def paced_run(workdir: Path, slack: StandInProcess, sim: SimulatorProcess, report: Report) -> None:
    """(2)."""
    db_path = workdir / "paced.db"
    rate = 50
    app = AppProcess(workdir, mass_env(slack.url, sim.url, db_path, rate))
    try:
        request = request_and_approve(app, slack, recipients(2, 1500))
        wait_finished(Database(db_path), 1500, timeout=1500 / rate + 60)
    finally:
        app.stop()
    times = [at for at, _ in sends_at(sim, request.ids)]
    achieved = rate_between(times, 250, 1250)
    off = abs(achieved - rate) / rate
    report.add(
        f"(2) HEYNOW_MASS_RATE {rate}: sends 250 to 1,250 ({times[1250] - times[250]:.1f} s)",
        f"{achieved:.2f}/s ({(achieved - rate) / rate * 100:+.1f}%)",
        f"within {RATE_TOLERANCE * 100:.0f}% of {rate}/s",
        off <= RATE_TOLERANCE,
    )
    windows = [rate_between(times, n, n + 250) for n in range(250, 1250, 250)]
    report.add("(2) the same, per 250 sends", ", ".join(f"{w:.1f}" for w in windows) + " /s")


def kill_run(
    workdir: Path, slack: StandInProcess, sim: SimulatorProcess, report: Report, seed: int
) -> None:
    """(4)."""
    count = 3000
    db_path = workdir / "killed.db"
    env = mass_env(slack.url, sim.url, db_path, 1000)
    db = Database(db_path)
    wait = random.Random(seed).uniform(0.5, 5.0)
    app = AppProcess(workdir, env)
    try:
        request = request_and_approve(app, slack, recipients(3, count))
        wait_until(lambda: db.request_state() == "running", 10, "the run to start")
        time.sleep(wait)
        os.kill(app.popen.pid, signal.SIGKILL)
        app.popen.wait(10)
    finally:
        app.stop()
    at_kill = db.counts()
    reached_at_kill = len(sends_at(sim, request.ids))
    again = AppProcess(workdir, env)
    try:
        wait_finished(db, count, timeout=count / 20 + 60)
        time.sleep(1)  # a send made twice would come now
    finally:
        again.stop()
    states = db.states()
    arrived = Counter(c for _, c in sends_at(sim, request.ids))
    twice = [c for c in request.ids if arrived[c] > 1]
    lost = [c for c in request.ids if arrived[c] == 0 and states.get(c) != "unknown"]
    unknown = [c for c in request.ids if states.get(c) == "unknown"]
    unknown_reached = [c for c in unknown if arrived[c] == 1]
    counted = [c for c in request.ids if not (states.get(c) == "unknown" and arrived[c] == 0)]
    once = sum(1 for c in counted if arrived[c] == 1)
    report.add(
        f"(4) kill -9 at {wait:.2f} s into a {count:,} run (seed {seed}): then",
        f"{reached_at_kill} at Hey Now; store: "
        + ", ".join(f"{k} {v}" for k, v in sorted(at_kill.items())),
        "mid-run",
        0 < reached_at_kill < count,
    )
    report.add("(4) recipients sent twice", str(len(twice)), "0", not twice)
    report.add("(4) recipients never sent and not recorded unknown", str(len(lost)), "0", not lost)
    report.add(
        "(4) unknown (of them: reached Hey Now / did not)",
        f"{len(unknown)} ({len(unknown_reached)} / {len(unknown) - len(unknown_reached)})",
        f"<= {RUNNERS}",
        len(unknown) <= RUNNERS,
    )
    report.add(
        "(4) sent exactly once, of all but the unknown that did not reach Hey Now",
        f"{once} of {len(counted)}",
        "all",
        once == len(counted),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000, help="of run (1)")
    parser.add_argument("--seed", type=int, default=None, help="of (4)'s moment of the kill")
    parser.add_argument("--skip", choices=["fast", "paced", "kill"], action="append", default=[])
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    workdir = Path(tempfile.mkdtemp(prefix="bench-mass-"))
    report = Report(
        f"bench/mass.py: mass sends through masiveMessage, Hey Now answering in "
        f"{ms(HEYNOW_DELAY)}, {RUNNERS} runner threads"
    )
    with standin_process() as slack:
        sim = SimulatorProcess(workdir, load_config(), step_seconds=10**6)
        try:
            sim.control(
                "/_sim/faults",
                {
                    "method": "POST",
                    "path": "/api/masiveMessage/",
                    "delay": HEYNOW_DELAY,
                    "count": 10**7,
                },
            )
            if "fast" not in args.skip:
                throughput_run(workdir, slack, sim, args.recipients, report)
                print("  (1), (3), (5) done", flush=True)
            if "paced" not in args.skip:
                paced_run(workdir, slack, sim, report)
                print("  (2) done", flush=True)
            if "kill" not in args.skip:
                kill_run(workdir, slack, sim, report, seed)
                print("  (4) done", flush=True)
        finally:
            sim.stop()
    report.notes.append(
        f"(1): each of the {RUNNERS} runner threads (bot.app.MASS_RUNNERS) is itself a "
        "one-at-a-time client, one send in flight waiting on Hey Now, so the run can be at most "
        f"about {RUNNERS}x the baseline: 20x needs 20 sends or more in flight, and the app's "
        "CPU a send (above) times the baseline's rate times 20 is more than one core's "
        "worth for one Python process."
    )
    report.notes.append(
        "(4): a send in flight at the kill may or may not have reached Hey Now; the app "
        "records it unknown and never re-sends it. Unknown recipients that did not reach the "
        "simulator are left out of `exactly once` and counted apart; those that did are in it."
    )
    report.notes.append(f"logs in {workdir}")
    report.finish()


if __name__ == "__main__":
    main()
