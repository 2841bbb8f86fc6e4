"""Mass sends as the app holds them, and the pure rules of their run: quiet hours, progress."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.states import MassState, PauseReason, RecipientState, Status
from bot.heynow.channels import Channel, PlatformRef


@dataclass(frozen=True)
class MassRequest:
    id: int
    request_key: str
    team_id: str | None
    requester: str
    origin_channel: str | None
    channel_id: int
    platform_id: str
    template: str
    not_before: float | None
    state: MassState
    pause_reason: PauseReason | None
    reason: str | None
    created_at: float
    expires_at: float | None
    decided_by: str | None
    decided_at: float | None
    started_at: float | None
    finished_at: float | None
    approval_channel: str | None
    approval_ts: str | None
    summary_ts: str | None
    locale: str | None
    zone: str | None
    total: int
    left_out: dict[str, int]
    failures_in_a_row: int
    round: int
    quiet_until: float | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MassRequest:
        values: dict[str, Any] = {f.name: row.get(f.name) for f in fields(cls)}
        values["state"] = MassState(values["state"])
        values["pause_reason"] = (
            PauseReason(row["pause_reason"]) if row.get("pause_reason") else None
        )
        values["left_out"] = json.loads(row.get("left_out") or "{}")
        values["total"] = values["total"] or 0
        values["failures_in_a_row"] = values["failures_in_a_row"] or 0
        values["round"] = values["round"] or 1
        return cls(**values)

    @property
    def ref(self) -> PlatformRef:
        """The platform it sends from."""
        return PlatformRef(Channel(self.channel_id), self.platform_id)

    @property
    def approval_post(self) -> tuple[str, str] | None:
        if self.approval_channel and self.approval_ts:
            return self.approval_channel, self.approval_ts
        return None


@dataclass(frozen=True)
class MassRecipient:
    id: int
    request_id: int
    position: int
    client_id: str
    text: str
    state: RecipientState
    round: int
    id_message_hey: str | None
    error: str | None
    status: Status
    sent_at: float | None
    lease_owner: str | None
    lease_expires: float | None
    poll_interval: float | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MassRecipient:
        values: dict[str, Any] = {f.name: row.get(f.name) for f in fields(cls)}
        values["state"] = RecipientState(values["state"])
        values["status"] = Status.of(values["status"])
        return cls(**values)


@dataclass(frozen=True)
class Progress:
    """A mass send's counts, as its approval post and summary show them."""

    total: int
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    pending: int = 0
    sending: int = 0
    delivered: int = 0  # of the sent: at two ticks or read
    read: int = 0
    failures: tuple[tuple[str, int], ...] = ()  # (reason, count), most first

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.unknown

    @property
    def remaining(self) -> int:
        return self.pending + self.sending

    def eta_seconds(self, rate: float) -> float | None:
        return self.remaining / rate if rate > 0 and self.remaining else None


@dataclass(frozen=True)
class QuietHours:
    """HEYNOW_QUIET_HOURS (`21:00-09:00`) in HEYNOW_TIMEZONE: no mass send goes out within.
    The window may wrap midnight; a window whose start equals its end is no window."""

    start: time
    end: time
    zone: str

    @classmethod
    def parse(cls, raw: str, zone: str) -> QuietHours:
        begin, sep, finish = raw.partition("-")
        if not sep:
            raise ValueError(raw)
        return cls(_clock(begin), _clock(finish), zone)

    def contains(self, at: float) -> bool:
        local = datetime.fromtimestamp(at, ZoneInfo(self.zone)).time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, at: float) -> float:
        """When the quiet hours that hold `at` end (a unix time)."""
        zone = ZoneInfo(self.zone)
        local = datetime.fromtimestamp(at, zone)
        end = datetime.combine(local.date(), self.end, zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, zone)
        return end.astimezone(UTC).timestamp()


def _clock(raw: str) -> time:
    hours, sep, minutes = raw.strip().partition(":")
    if not (
        hours.isascii()
        and hours.isdigit()
        and (not sep or (minutes.isascii() and minutes.isdigit()))
    ):
        raise ValueError(raw)
    return time(int(hours), int(minutes or 0))
