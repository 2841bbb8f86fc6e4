"""What the mass-send unit tests share: a Hey Now that answers as told, a clock that stands
still until moved, and a runner with test settings."""

from __future__ import annotations

from typing import Any

from bot.jobs.mass_run import MassRun, RunPolicy
from storage import Store


class HeyNow:
    """Answers each mass send with the next of `answers` (an exception to raise, or None)."""

    def __init__(self, answers: list[Exception | None] | None = None) -> None:
        self.answers = list(answers or [])
        self.sent: list[tuple[str, str]] = []

    def send_mass_message(self, ref: Any, client_id: str, text: str) -> str:
        self.sent.append((client_id, text))
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        return f"hey-{len(self.sent)}"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def runner(store: Store, heynow: HeyNow, clock: Clock, **policy: Any) -> MassRun:
    settings: dict[str, Any] = {
        "rate": 1000,
        "max_failures": 3,
        "quiet": None,
        "lease_seconds": 60,
        "first_poll_seconds": 5,
    }
    settings.update(policy)
    return MassRun(store, heynow, RunPolicy(**settings), owner="test", clock=clock)


def run_out(run: MassRun, limit: int = 100) -> None:
    """Step until nothing is left to send now."""
    for _ in range(limit):
        if not run.step():
            return
