"""Wall time and memory of HeyNowClient.agenda() on a large agenda (about 59 MB by default), and
of the new-contacts diff (bot.jobs.agenda_watch) on an agenda of 50,000 contacts.

A hostile tester saw a 59 MB agenda take 838 MB and 35 s: the client held the download, its
decoded text and the parsed dicts at once before building a single Contact. This script builds an
agenda of realistic contact documents (shaped by the simulator's `contact_document`), serves it in
64 KiB chunks through httpx.MockTransport (as a socket would deliver it), calls `agenda()` and
prints a small table.

    .venv/bin/python bench/agenda.py [--megabytes 59]

The target is a ratio measured in the same run: the tracemalloc peak during `agenda()` must be at
most 1.5 times the memory still held afterwards by the returned list of Contacts. The contacts are
what the caller asked for, so they are the floor; anything above them is the parser's working set.
A ratio does not depend on the machine, the Python version or the size chosen here, where an
absolute number of MB would. A client that holds the whole download (bytes, text, dicts) sits
several times above the floor, and the more so the larger the agenda; a streamed parse holds one
chunk and one document at a time, so it stays close to 1.0x, and 1.5x leaves room for the list's
over-allocation and the parser's buffers. The script exits 1 when a target is missed.

The diff (`--contacts 50000`): a first look takes the snapshot into a SQLite file, then a second
look at the same agenda plus 100 new contacts finds them. Targets (issue 9): the process's peak
RSS during the second look under 150 MB, and its wall time within 3x of parsing the same JSON
alone (the same client streaming the same body to a callback that keeps nothing).

Wall time is measured in a run without tracemalloc (tracing slows every allocation), and the RSS
figures come from that run too: growth of the peak RSS (VmHWM, reset before the call) and of the
RSS kept once the call returned.
"""

from __future__ import annotations

import argparse
import gc
import json
import secrets
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.heynow import HeyNowClient, PlatformRef  # noqa: E402
from bot.jobs.agenda_watch import AgendaWatch  # noqa: E402
from bot.simulator.state import Platform, contact_document  # noqa: E402
from storage import Store  # noqa: E402

TARGET_RATIO = 1.5
DIFF_PEAK_MB = 150
DIFF_TIME_RATIO = 3.0
NEW_CONTACTS = 100
CHUNK = 64 * 1024
REF = PlatformRef.parse("1:59899000001")
FIRST = ("Ana", "Bruno", "Carla", "Diego", "Lucía", "Martín", "Sofía", "Valentina", "Joaquín")
LAST = ("Pérez", "Díaz", "Gómez", "Fernández", "Rodríguez", "Silva", "Acosta", "Núñez", None)


def agenda_body(megabytes: float, contacts: int | None = None) -> tuple[bytes, int]:
    """A JSON array of contact documents of about `megabytes` MB (or of `contacts` contacts),
    and how many it holds."""
    platform = Platform(1, REF.platform_id, "Support WhatsApp", False, None, {})
    parts: list[bytes] = []
    size, n = 2, 0
    while (n < contacts) if contacts is not None else (size < megabytes * 1_000_000):
        entry = {
            "client_id": f"5989{n:07d}",
            "first_name": FIRST[n % len(FIRST)],
            "last_name": LAST[n % len(LAST)],
            "profile_pic": f"https://cdn.heynow.test/pics/{n:08d}.jpg" if n % 3 else None,
            "locale": "es_UY",
            "timezone": "-3",
            "gender": ("female", "male", None)[n % 3],
        }
        part = json.dumps(contact_document(platform, entry), ensure_ascii=False).encode()
        parts.append(part)
        size += len(part) + 2
        n += 1
    return b"[" + b", ".join(parts) + b"]", n


class Chunked(httpx.SyncByteStream):
    """The body in socket-sized chunks, so that only the client decides what it keeps."""

    def __init__(self, body: bytes) -> None:
        self._body = memoryview(body)

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self._body), CHUNK):
            yield bytes(self._body[start : start + CHUNK])


class Server:
    """Hey Now as far as agenda() needs it: a login and one agenda body."""

    def __init__(self) -> None:
        self.body = b"[]"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/login":
            return httpx.Response(200, json={"token": secrets.token_urlsafe(32)})
        headers = {"Content-Type": "application/json"}
        return httpx.Response(200, headers=headers, stream=Chunked(self.body))


def kib(name: str) -> int:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(name))
    return int(line.split()[1]) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=59.0)
    parser.add_argument("--contacts", type=int, default=50_000)
    args = parser.parse_args()
    missed = diff(args.contacts)
    missed = parse(args.megabytes) or missed
    if missed:
        sys.exit(1)


def serve() -> tuple[Server, HeyNowClient]:
    """A Hey Now in memory, and the app's client of it."""
    server = Server()
    client = HeyNowClient(
        base_url="https://heynow.test/api",
        user="bench",
        password="bench",
        transport=httpx.MockTransport(server),
    )
    return server, client


def diff(contacts: int) -> bool:
    """The second look at a `contacts`-contact agenda with 100 new ones; True if missed."""
    server, client = serve()
    client.agenda_batches(REF, lambda _batch: None)  # warm up: login and imports
    before, _ = agenda_body(0, contacts)
    after, total = agenda_body(0, contacts + NEW_CONTACTS)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db")
        clock = [1_000.0]
        watch = AgendaWatch(
            store,
            client,
            [REF],
            channel="C0BENCH",
            every_seconds=1,
            owner="bench",
            wake_outbox=lambda: None,
            clock=lambda: clock[0],
        )
        server.body = before
        started = time.perf_counter()
        watch.tick()  # the first look: the snapshot
        first = time.perf_counter() - started
        server.body = after
        started = time.perf_counter()
        client.agenda_batches(REF, lambda _batch: None)
        parse_alone = time.perf_counter() - started
        clock[0] += 10
        gc.collect()
        rss_before = kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")
        started = time.perf_counter()
        watch.tick()  # the diff
        second = time.perf_counter() - started
        peak = kib("VmHWM")
        found = store.team.unclaimed_count()
        store.close()
    client.close()
    mb = 1_000_000
    ratio = second / parse_alone
    rows = [
        ("agenda", f"{total:,} contacts, {len(after) / mb:.1f} MB"),
        ("first look (snapshot only)", f"{first:.2f} s"),
        ("parsing the same JSON alone", f"{parse_alone:.2f} s"),
        ("second look (the diff)", f"{second:.2f} s = {ratio:.2f}x parsing (target <= 3x)"),
        ("new contacts found", f"{found} of {NEW_CONTACTS}"),
        ("process peak RSS during the diff", f"{peak / mb:.0f} MB (target < {DIFF_PEAK_MB} MB)"),
        ("RSS growth during the diff", f"{(peak - rss_before) / mb:.0f} MB"),
    ]
    report(rows)
    print()
    missed = ratio > DIFF_TIME_RATIO or peak / mb >= DIFF_PEAK_MB or found != NEW_CONTACTS
    if missed:
        print("target missed: the agenda diff", file=sys.stderr)
    return missed


def report(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def parse(megabytes: float) -> bool:
    """agenda() on a `megabytes` MB agenda: its memory against the contacts'; True if missed."""
    server, client = serve()
    client.agenda(REF)  # warm up: login, imports and httpx's first allocations are not measured
    server.body, count = agenda_body(megabytes)

    gc.collect()
    rss_before = kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    started = time.perf_counter()
    contacts = client.agenda(REF)
    wall = time.perf_counter() - started
    rss_peak, rss_kept = kib("VmHWM") - rss_before, kib("VmRSS") - rss_before
    assert len(contacts) == count, (len(contacts), count)
    del contacts
    gc.collect()

    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    contacts = client.agenda(REF)
    gc.collect()  # what the call left in reference cycles is garbage, not held by the contacts
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    held, peak = current - baseline, peak - baseline
    ratio = peak / held

    mb = 1_000_000
    rows = [
        ("contacts", f"{len(contacts):,}"),
        ("download", f"{len(server.body) / mb:.1f} MB"),
        ("wall time of agenda()", f"{wall:.2f} s"),
        ("peak RSS growth", f"{rss_peak / mb:.0f} MB"),
        ("RSS growth kept after the call", f"{rss_kept / mb:.0f} MB"),
        ("tracemalloc peak during agenda()", f"{peak / mb:.0f} MB"),
        ("tracemalloc held by the contacts", f"{held / mb:.0f} MB"),
        ("peak / held by the contacts", f"{ratio:.2f}x (target <= {TARGET_RATIO}x)"),
        ("peak / download", f"{peak / len(server.body):.2f}x"),
    ]
    report(rows)
    client.close()
    if ratio > TARGET_RATIO:
        print(f"target missed: peak is {ratio:.2f}x the contacts' memory", file=sys.stderr)
        return True
    return False


if __name__ == "__main__":
    main()
