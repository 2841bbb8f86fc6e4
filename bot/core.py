"""The parts every service works with, bundled so that each is wired once (bot.app)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.heynow import HeyNowClient
from bot.notifier import Notifier
from bot.tracker import Tracker
from storage import Store


@dataclass(frozen=True)
class Core:
    store: Store
    heynow: HeyNowClient
    tracker: Tracker
    notifier: Notifier
    clock: Callable[[], float] = field(default=time.time)
