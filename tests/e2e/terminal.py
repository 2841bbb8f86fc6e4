"""The app in local mode on a pseudo-terminal, as a person at a terminal runs it."""

from __future__ import annotations

import copy
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from bot.simulator import load_config
from tests.e2e.harness import child_env, free_port

PROMPT = b"heynow> "
UP = "\x1b[A"  # what the up-arrow key sends


def quick(folder: Path, step_seconds: float = 0.3) -> dict[str, str]:
    """Settings for a local mode that moves fast: the demo world with statuses that move on
    every `step_seconds`, and a poller that looks every few tenths of a second."""
    world = copy.deepcopy(load_config())
    world["status_step_seconds"] = step_seconds
    path = folder / "quick-world.json"
    path.write_text(json.dumps(world))
    return {
        "HEYNOW_SIMULATOR_CONFIG": str(path),
        "HEYNOW_POLL_SECONDS": "0.2",
        "HEYNOW_POLL_MAX_SECONDS": "0.4",
    }


class Terminal:
    """`python -m bot` with no Slack settings, its stdin, stdout and stderr on one pty.

    `seen` is everything the terminal showed; `mark()` remembers where it was, so that a test
    can look at what one command printed.
    """

    def __init__(self, cwd: Path, database: Path, **settings: str) -> None:
        main, child = pty.openpty()
        env = child_env(
            PORT=str(free_port()), DATABASE_PATH=str(database), TERM="xterm", **settings
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            stdin=child,
            stdout=child,
            stderr=child,
            cwd=cwd,
            env=env,
        )
        os.close(child)
        self.main = main
        self.seen = b""
        self._from = 0

    def mark(self, at: bytes | str | None = None) -> None:
        """Later `read_until` calls and `since_mark` look only at what comes after now, or,
        given `at`, from where `at` first appears after the current mark."""
        if at is None:
            self._from = len(self.seen)
        else:
            self._from = self.seen.index(at.encode() if isinstance(at, str) else at, self._from)

    def since_mark(self) -> bytes:
        return self.seen[self._from :]

    def read_until(self, marker: bytes | str, timeout: float = 20, count: int = 1) -> bytes:
        """Read until `marker` has appeared `count` times since the mark; what came since."""
        marker = marker.encode() if isinstance(marker, str) else marker
        deadline = time.monotonic() + timeout
        while self.since_mark().count(marker) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no {marker!r} (x{count}) in:\n{self.since_mark().decode(errors='replace')}"
                )
            self._read(0.2)
        return self.since_mark()

    def settle(self, seconds: float) -> bytes:
        """Read whatever arrives for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(deadline - time.monotonic())
        return self.since_mark()

    def type(self, keys: str) -> None:
        os.write(self.main, keys.encode())

    def command(self, line: str) -> None:
        """Wait for the prompt, mark, and type `line` with Enter."""
        self.read_until(PROMPT)
        self.mark()
        self.type(line + "\r")

    def exit(self) -> int:
        self.command("exit")
        code = self.process.wait(15)
        self.settle(0.1)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.main)

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.main], [], [], max(timeout, 0))
        if ready:
            try:
                self.seen += os.read(self.main, 65536)
            except OSError:  # the process has gone and closed its end
                time.sleep(min(timeout, 0.05))
