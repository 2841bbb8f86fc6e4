"""Wall time and memory of HeyNowClient.agenda() on a large agenda (about 59 MB by default).

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
over-allocation and the parser's buffers. The script exits 1 when the target is missed.

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
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.heynow import HeyNowClient, PlatformRef  # noqa: E402
from bot.simulator.state import Platform, contact_document  # noqa: E402

TARGET_RATIO = 1.5
CHUNK = 64 * 1024
REF = PlatformRef.parse("1:59899000001")
FIRST = ("Ana", "Bruno", "Carla", "Diego", "Lucía", "Martín", "Sofía", "Valentina", "Joaquín")
LAST = ("Pérez", "Díaz", "Gómez", "Fernández", "Rodríguez", "Silva", "Acosta", "Núñez", None)


def agenda_body(megabytes: float) -> tuple[bytes, int]:
    """A JSON array of contact documents of about `megabytes` MB, and how many it holds."""
    platform = Platform(1, REF.platform_id, "Support WhatsApp", False, None, {})
    parts: list[bytes] = []
    size, n = 2, 0
    while size < megabytes * 1_000_000:
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
    args = parser.parse_args()
    server = Server()
    client = HeyNowClient(
        base_url="https://heynow.test/api",
        user="bench",
        password="bench",
        transport=httpx.MockTransport(server),
    )
    client.agenda(REF)  # warm up: login, imports and httpx's first allocations are not measured
    server.body, count = agenda_body(args.megabytes)

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
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    client.close()
    if ratio > TARGET_RATIO:
        print(f"target missed: peak is {ratio:.2f}x the contacts' memory", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
