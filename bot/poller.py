"""The status poller: one APScheduler job that asks Hey Now about the messages that are due.

The durable state (what to poll, when) is in SQLite, not in an APScheduler job store, so a
restart resumes exactly where the last process stopped and there is only ever one job.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.core import Core
from bot.heynow import HeyNowError
from bot.heynow.channels import platform_of
from storage import Message

logger = logging.getLogger(__name__)

JOB_ID = "poll-statuses"
BATCH = 200  # messages looked at per tick at most
CONCURRENCY = 4  # status calls in flight at once: polite to Hey Now, fast enough for a team


class StatusPoller:
    def __init__(
        self,
        core: Core,
        *,
        interval_seconds: float,
    ) -> None:
        self.core = core
        self.interval_seconds = interval_seconds
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self._pool = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="poll")

    def start(self) -> None:
        self.scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.interval_seconds,
            id=JOB_ID,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),  # resume at once after a restart
        )
        self.scheduler.start()
        logger.info("Polling Hey Now statuses every %ss", self.interval_seconds)

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self._pool.shutdown(wait=True)

    def tick(self) -> None:
        """Poll every due message (bounded concurrency), then post what became owed."""
        try:
            due = self.core.store.due_for_poll(self.core.clock(), BATCH)
            list(self._pool.map(self.poll_one, due))
            self.core.notifier.flush()
        except Exception:  # a tick must never kill the job
            logger.exception("Status poll tick failed")

    def poll_one(self, message: Message) -> None:
        ref = platform_of(message)
        try:
            status = self.core.heynow.message_status(ref, message.id_message_hey or "")
        except HeyNowError as exc:
            self.core.tracker.poll_failed(message, exc)
            return
        self.core.tracker.observe(message, status)
