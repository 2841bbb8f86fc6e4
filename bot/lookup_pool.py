"""Where the look-ups (status, contact, agenda, agenda pages) run, after their ack.

Bolt runs each listener, ack included, on its listener pool; if listeners waited on Hey Now, a
slow Hey Now would fill that pool and new commands could not even be acked within Slack's 3 s.
Look-ups are read-only and answered straight to the person who asked, so they need no durable
record: a look-up cut off by a restart is simply asked again. Sends are different: they are
recorded before the ack and run by the send queue (bot.jobs.send_queue).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)


class LookupPool:
    def __init__(self, max_workers: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lookup")

    def submit(self, job: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Run `job` on the pool in a copy of the caller's context: it speaks the language
        the listener speaks (bot.i18n.speaking), as asyncio.to_thread would."""
        return self._pool.submit(contextvars.copy_context().run, self._logged, job, *args)

    @staticmethod
    def _logged(job: Callable[..., Any], *args: Any) -> Any:
        try:
            return job(*args)
        except Exception:  # look-ups answer people themselves; this is the log of last resort
            logger.exception("Look-up %s failed", getattr(job, "__name__", job))
            return None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
