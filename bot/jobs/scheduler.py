"""One scheduler for the app process: the claim loops and the periodic jobs, started and
stopped together.

Start-up recovery runs first: sends cut off by the last stop become unknown (they may have
reached Hey Now), queued sends older than HEYNOW_QUEUE_MAX_AGE_MINUTES are closed as never sent,
and the younger ones simply run. Each sender is told.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.jobs.leases import owner_gone
from bot.jobs.loops import ClaimLoop
from bot.jobs.mass_poll import MassPoll
from bot.jobs.mass_run import MassRun
from bot.jobs.status_poll import StatusPoll
from storage import Recovered, StorageUnavailable, Store

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 5  # how often dead leases are looked for while running
MASS_SWEEP_SECONDS = 1  # mass sends: start what is due, expire the undecided, quiet hours
CHECKPOINT_SECONDS = 1  # keeps the WAL small, so a checkpoint is short


class Signal:
    """A wake-up that loops attach to after they are built (services need it before)."""

    def __init__(self) -> None:
        self._targets: list[Callable[[], None]] = []

    def attach(self, target: Callable[[], None]) -> None:
        self._targets.append(target)

    def __call__(self) -> None:
        for target in self._targets:
            target()


@dataclass(frozen=True)
class Periodic:
    """A job run every `seconds` (the team's view adds its own: agendas, alerts, digest, Home).
    A failure is logged and the next run comes as planned."""

    job_id: str
    run: Callable[[], object]
    seconds: float


class Jobs:
    def __init__(
        self,
        *,
        store: Store,
        owner: str,
        loops: list[ClaimLoop],
        status_poll: StatusPoll,
        poll_seconds: float,
        queue_max_age_seconds: float,
        wake_outbox: Callable[[], None],
        clock: Callable[[], float],
        mass_run: MassRun | None = None,
        mass_poll: MassPoll | None = None,
        periodic: Sequence[Periodic] = (),
    ) -> None:
        self.store = store
        self.mass_run = mass_run
        self.mass_poll = mass_poll
        self.periodic = list(periodic)
        self.owner = owner
        self.loops = loops
        self.status_poll = status_poll
        self.poll_seconds = poll_seconds
        self.queue_max_age_seconds = queue_max_age_seconds
        self.clock = clock
        self._wake_outbox = wake_outbox
        self.scheduler = BackgroundScheduler(timezone=UTC)

    def start(self) -> None:
        self.recover(at_start_up=True)
        for loop in self.loops:
            loop.start()
        now = datetime.now(UTC)
        for job, seconds, job_id in (
            (self._poll, self.poll_seconds, "poll-statuses"),
            (self.recover, SWEEP_SECONDS, "sweep-leases"),
            (self._checkpoint, CHECKPOINT_SECONDS, "checkpoint"),
            (self._mass_sweep, MASS_SWEEP_SECONDS, "mass-sweep"),
            (self._mass_poll, self.poll_seconds, "mass-poll"),
            *((_guarded(p), p.seconds, p.job_id) for p in self.periodic),
        ):
            self.scheduler.add_job(
                job,
                "interval",
                seconds=seconds,
                id=job_id,
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                next_run_time=now,  # resume at once after a restart
            )
        self.scheduler.start()
        logger.info("Polling Hey Now statuses every %ss", self.poll_seconds)

    @property
    def running(self) -> bool:
        return self.scheduler.running and all(loop.alive for loop in self.loops)

    def recover(self, at_start_up: bool = False) -> Recovered | None:
        now = self.clock()
        try:
            found = self.store.messages.recover(
                now,
                owner_gone=lambda owner: owner_gone(owner, self.owner),
                queued_before=now - self.queue_max_age_seconds if at_start_up else None,
            )
            self.store.outbox.release_gone(lambda owner: owner_gone(owner, self.owner), now)
            if self.mass_run is not None:
                self.mass_run.recover(lambda owner: owner_gone(owner, self.owner))
        except StorageUnavailable:
            return None  # logged by the store; /healthz says so
        if found.interrupted:
            logger.warning(
                "%d send(s) were cut off while Hey Now answered; they are now unknown",
                found.interrupted,
            )
        if found.expired:
            logger.warning("%d queued send(s) were too old to send after the stop", found.expired)
        if found.interrupted or found.expired:
            self._wake_outbox()
        return found

    def _poll(self) -> None:
        try:
            self.status_poll.tick()
        except Exception:  # a tick must never kill the job
            logger.exception("Status poll tick failed")

    def _mass_sweep(self) -> None:
        if self.mass_run is None:
            return
        try:
            self.mass_run.sweep()
        except Exception:  # a sweep must never kill the job
            logger.exception("Mass-send sweep failed")

    def _mass_poll(self) -> None:
        if self.mass_poll is None:
            return
        try:
            self.mass_poll.tick()
        except Exception:
            logger.exception("Mass-send status poll failed")

    def _checkpoint(self) -> None:
        try:
            self.store.checkpoint()
        except sqlite3.Error as exc:
            logger.warning("WAL checkpoint failed: %s", exc)

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        for loop in self.loops:
            loop.stop()
        self.status_poll.close()
        if self.mass_poll is not None:
            self.mass_poll.close()


def _guarded(periodic: Periodic) -> Callable[[], None]:
    def run() -> None:
        try:
            periodic.run()
        except StorageUnavailable:
            pass  # logged by the store; /healthz says so; the next run tries again
        except Exception:  # a run must never kill its job
            logger.exception("%s failed", periodic.job_id)

    return run
