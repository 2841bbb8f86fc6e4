"""The daily digest's arithmetic: a local day as UTC bounds, which day's digest is due, the
counts of a day folded per agent and per platform, and their percentages.

Pure functions and values only: storage computes the counts with them, bot.slack draws them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.states import MassState
from bot.heynow.channels import Channel, PlatformRef

WEEK_DAYS = 7  # the chart's days, the digest's own last


def percent(part: int, whole: int) -> int | None:
    """`part` of `whole` as a whole percent; None when `whole` is 0 (shown as "—": nothing was
    sent, so nothing can be a share of it).

    Half rounds up (1 of 8 is 12.5 %, shown 13 %, as people round by hand; Python's round()
    rounds half to even and would show 12 %), in integers, so no float error moves a half. And
    a percent never claims more than is true: 100 % only when all of them, 0 % only when none
    (199 of 200 is 99 %, not 100 %; 1 of 1,000 is 1 %, not 0 %)."""
    if whole <= 0:
        return None
    part = max(0, min(part, whole))
    value = (200 * part + whole) // (2 * whole)  # floor(100 * part / whole + 1/2)
    if part < whole:
        value = min(value, 99)
    if part > 0:
        value = max(value, 1)
    return value


@dataclass(frozen=True)
class Counts:
    """Single sends of one day (for the team, an agent or a platform)."""

    sent: int = 0  # sent to Hey Now that day
    delivered: int = 0  # of those: on the client's phone (two ticks) or read
    read: int = 0  # of those: read
    failures: int = 0  # asked that day and refused by Hey Now
    unknowns: int = 0  # asked that day, the answer lost: they may or may not have gone out

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.sent + other.sent,
            self.delivered + other.delivered,
            self.read + other.read,
            self.failures + other.failures,
            self.unknowns + other.unknowns,
        )

    @property
    def delivered_pct(self) -> int | None:
        return percent(self.delivered, self.sent)

    @property
    def read_pct(self) -> int | None:
        return percent(self.read, self.sent)

    @property
    def problems(self) -> int:
        return self.failures + self.unknowns

    @property
    def empty(self) -> bool:
        return not (self.sent or self.failures or self.unknowns)

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Counts:
        return cls(*(int(row.get(name) or 0) for name in cls.__dataclass_fields__))


@dataclass(frozen=True)
class AgentCounts:
    user: str  # a Slack user id
    counts: Counts


@dataclass(frozen=True)
class PlatformCounts:
    ref: PlatformRef
    counts: Counts


@dataclass(frozen=True)
class MassOfDay:
    """A mass send that ran that day, with its recipients as they stand."""

    id: int
    requester: str
    ref: PlatformRef
    state: MassState
    total: int
    sent: int
    failed: int
    unknown: int
    delivered: int
    read: int

    @property
    def delivered_pct(self) -> int | None:
        return percent(self.delivered, self.sent)

    @property
    def read_pct(self) -> int | None:
        return percent(self.read, self.sent)


@dataclass(frozen=True)
class NewContacts:
    """Clients who wrote to one of our platforms for the first time that day."""

    by_platform: tuple[tuple[str, int], ...] = ()  # (a PlatformRef's text, count), most first
    taken: int = 0  # of them, someone said "I'll take it"

    @property
    def total(self) -> int:
        return sum(count for _platform, count in self.by_platform)


@dataclass(frozen=True)
class DayTotals:
    """One bar group of the chart."""

    day: date
    sent: int
    delivered: int
    read: int


@dataclass(frozen=True)
class DayDigest:
    day: date
    totals: Counts
    agents: tuple[AgentCounts, ...]
    platforms: tuple[PlatformCounts, ...]
    mass: tuple[MassOfDay, ...] = ()
    new_contacts: NewContacts = field(default_factory=NewContacts)

    @property
    def quiet(self) -> bool:
        """Nothing happened: no send, no mass send, no new contact."""
        return self.totals.empty and not self.mass and not self.new_contacts.total


def fold(
    rows: Iterable[Mapping[str, Any]],
) -> tuple[Counts, list[AgentCounts], list[PlatformCounts]]:
    """Counts grouped by (slack_user, channel_id, platform_id) into the day's totals, per agent
    and per platform, each list sorted by most sent (then most problems, then name, so equal
    counts always come in the same order)."""
    totals = Counts()
    agents: dict[str, Counts] = {}
    platforms: dict[PlatformRef, Counts] = {}
    for row in rows:
        counts = Counts.of(row)
        totals += counts
        agents[row["slack_user"]] = agents.get(row["slack_user"], Counts()) + counts
        ref = platform_ref(row.get("channel_id"), row.get("platform_id"))
        if ref is not None:  # a row no platform can be read from still counts in the totals
            platforms[ref] = platforms.get(ref, Counts()) + counts
    by_agent = [AgentCounts(user, c) for user, c in agents.items()]
    by_platform = [PlatformCounts(ref, c) for ref, c in platforms.items()]
    by_agent.sort(key=lambda a: (-a.counts.sent, -a.counts.problems, a.user))
    by_platform.sort(key=lambda p: (-p.counts.sent, -p.counts.problems, str(p.ref)))
    return totals, by_agent, by_platform


def platform_ref(channel_id: Any, platform_id: Any) -> PlatformRef | None:
    """The platform a stored row names, or None when it names none Hey Now has."""
    try:
        return PlatformRef(Channel(int(channel_id)), str(platform_id))
    except (TypeError, ValueError):
        return None


# -- days in a time zone ---------------------------------------------------------------------


def day_bounds(day: date, zone: str) -> tuple[float, float]:
    """The local day `day` in `zone` as [start, end) unix times. A day is not always 24 hours:
    the day a clock moves forward has 23, the day it moves back 25; each bound is its own local
    midnight converted, never start + 86,400."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start.timestamp(), end.timestamp()


def local_date(at: float, zone: str) -> date:
    return datetime.fromtimestamp(at, ZoneInfo(zone)).date()


def due_day(now: float, zone: str, at: time) -> date | None:
    """The local date whose digest is due at `now`: today's, once the local clock has passed
    `at` (HEYNOW_DIGEST_TIME); before that, none.

    Only today's is ever due. An app that was down at `at` and is back later that day owes it
    then (late, once); a day it was down for past midnight is never posted: a digest the next
    morning would be read as that day's news, a long outage would end with a burst of old
    digests, and the missed day's totals still show in the next digest's chart."""
    today = local_date(now, zone)
    due_at = datetime.combine(today, at, ZoneInfo(zone)).timestamp()
    return today if now >= due_at else None


def week_of(day: date, days: int = WEEK_DAYS) -> list[date]:
    """The `days` local dates ending with `day`, oldest first."""
    return [day - timedelta(days=back) for back in range(days - 1, -1, -1)]
