"""Where the Hey Now work of a request runs, after its ack.

Bolt runs each listener, ack included, on its listener pool. If listeners also waited on Hey Now,
a slow Hey Now would fill that pool and new commands could not even be acked within Slack's 3 s
(bench/ack_latency.py showed 1.7 s at 40 commands with a 1 s Hey Now). So listeners only ack and
submit their work here; the queue may grow, the acks stay immediate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)


class Workers:
    def __init__(self, max_workers: int = 16) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="work")

    def submit(self, job: Callable[..., Any], /, *args: Any) -> Future[Any]:
        return self._pool.submit(self._logged, job, *args)

    @staticmethod
    def _logged(job: Callable[..., Any], *args: Any) -> Any:
        try:
            return job(*args)
        except Exception:  # jobs answer people themselves; this is the log of last resort
            logger.exception("Background job %s failed", getattr(job, "__name__", job))
            return None

    def shutdown(self) -> None:
        """Finish what was accepted: a send in flight must complete and be recorded."""
        self._pool.shutdown(wait=True)
