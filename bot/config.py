"""The app's configuration: one typed object read from the environment and `.env`.

An invalid value stops start-up with one line naming the variable (ConfigError), before anything
talks to Slack or Hey Now.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from dotenv import dotenv_values

from bot.domain.mass import QuietHours
from bot.heynow.channels import PlatformRef
from bot.i18n import LANGUAGES

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
SIMULATOR_DEFAULT_PLATFORM = "1:59899000001"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable."""


@dataclass(frozen=True)
class AllowedPlatform:
    """One platform of HEYNOW_PLATFORMS, with the label people know it by."""

    ref: PlatformRef
    label: str


@dataclass(frozen=True)
class MassSettings:
    """Mass sends: who approves them where, from which platforms, and at what pace."""

    approvals_channel: str | None  # HEYNOW_APPROVALS_CHANNEL; unset: no mass sends
    approvers: tuple[str, ...]  # Slack user and user-group ids
    allow_self_approval: bool
    approval_expiry_hours: float
    platforms: tuple[AllowedPlatform, ...]  # HEYNOW_MASS_PLATFORMS: those that do not validate
    max_recipients: int
    rate: float  # sends a second
    max_failures: int  # in a row, before the run pauses itself
    quiet_hours: QuietHours | None  # in HEYNOW_TIMEZONE

    @property
    def enabled(self) -> bool:
        return bool(self.approvals_channel and self.approvers and self.platforms)


@dataclass(frozen=True)
class TeamSettings:
    """The team's view: where notifications go, how often agendas are compared, the digest."""

    notify_channel: str | None  # HEYNOW_NOTIFY_CHANNEL; unset: no notifications, no digest
    agenda_poll_minutes: float  # HEYNOW_AGENDA_POLL_MINUTES
    recovery_seconds: float  # HEYNOW_RECOVERY_SECONDS: answering this long ends an outage
    digest_time: time | None  # HEYNOW_DIGEST_TIME, in HEYNOW_TIMEZONE; None (`off`): no digest

    @property
    def enabled(self) -> bool:
        return self.notify_channel is not None


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    heynow_url: str | None
    heynow_user: str | None
    heynow_password: str | None
    heynow_default_platform: PlatformRef | None
    heynow_default_region: str
    heynow_timeout_seconds: float
    heynow_simulator_config: str | None
    heynow_simulator: bool  # a real workspace on the simulator, on purpose: every post says so
    heynow_platforms: tuple[AllowedPlatform, ...]  # empty: any platform of the account
    heynow_senders: tuple[str, ...]  # Slack user and user-group ids; empty: everyone
    language: str  # HEYNOW_LANGUAGE: for readers whose Slack locale has no catalogue
    timezone: str  # HEYNOW_TIMEZONE: for readers whose time zone Slack does not say
    mass: MassSettings
    team: TeamSettings
    poll_seconds: float
    poll_max_seconds: float
    stuck_minutes: float
    poll_give_up_hours: float
    queue_max_age_minutes: float
    slack_give_up_minutes: float
    slack_timeout_seconds: float
    database_path: str
    host: str
    port: int
    log_level: str

    @property
    def local_mode(self) -> bool:
        """No Slack credentials: Slack is played by a local stand-in (see bot.local)."""
        return self.slack_bot_token is None

    @property
    def uses_simulator(self) -> bool:
        return self.heynow_url is None

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def __repr__(self) -> str:  # secrets must never reach a log line
        return (
            f"Settings(heynow_url={self.heynow_url!r}, slack_api_url={self.slack_api_url!r}, ...)"
        )


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
) -> Settings:
    """Read settings; the process environment wins over `.env`."""
    values: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update(dotenv_values(env_file))
    values.update(os.environ if environ is None else environ)
    return _parse({k: v.strip() for k, v in values.items() if v is not None and v.strip() != ""})


def _parse(env: dict[str, str]) -> Settings:
    bot_token = env.get("SLACK_BOT_TOKEN")
    secret = env.get("SLACK_SIGNING_SECRET")
    app_token = env.get("SLACK_APP_TOKEN")
    if bot_token and not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be the bot token, starting with xoxb-")
    if bot_token and not secret:
        raise ConfigError("SLACK_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set")
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token, starting with xapp-")
    if app_token and not bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is required when SLACK_APP_TOKEN is set (Socket Mode)")

    heynow_url = env.get("HEYNOW_URL")
    simulator_on_purpose = _flag(env, "HEYNOW_SIMULATOR")
    if bot_token and not heynow_url and not simulator_on_purpose:
        raise ConfigError(
            "HEYNOW_URL is not set, so this Slack workspace would use the app's built-in Hey Now "
            "simulator and reach no customer: set HEYNOW_URL, HEYNOW_USER and HEYNOW_PASSWORD, "
            "or HEYNOW_SIMULATOR=true to try the app here with the simulator"
        )
    if heynow_url:
        _require_url("HEYNOW_URL", heynow_url)
        for name in ("HEYNOW_USER", "HEYNOW_PASSWORD"):
            if name not in env:
                raise ConfigError(f"{name} is required when HEYNOW_URL is set")

    platforms = _platforms(env.get("HEYNOW_PLATFORMS"))
    default = _default_platform(env, simulator=not heynow_url)
    if platforms and default is not None and default not in {p.ref for p in platforms}:
        raise ConfigError(
            f"HEYNOW_DEFAULT_PLATFORM {default} is not one of HEYNOW_PLATFORMS: add it there, "
            "or choose one of them"
        )
    timezone = _timezone(env.get("HEYNOW_TIMEZONE", "America/Montevideo"))
    mass = _mass(env, platforms, timezone)
    poll_seconds = _number(env, "HEYNOW_POLL_SECONDS", 5)
    poll_max = _number(env, "HEYNOW_POLL_MAX_SECONDS", 300)
    if poll_max < poll_seconds:
        raise ConfigError("HEYNOW_POLL_MAX_SECONDS must not be smaller than HEYNOW_POLL_SECONDS")
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=secret,
        slack_app_token=app_token,
        slack_api_url=_require_url(
            "SLACK_API_URL", env.get("SLACK_API_URL", DEFAULT_SLACK_API_URL)
        ),
        heynow_url=heynow_url,
        heynow_user=env.get("HEYNOW_USER"),
        heynow_password=env.get("HEYNOW_PASSWORD"),
        heynow_default_platform=default,
        heynow_default_region=_region(env.get("HEYNOW_DEFAULT_REGION", "UY")),
        heynow_timeout_seconds=_number(env, "HEYNOW_TIMEOUT_SECONDS", 10),
        heynow_simulator_config=_existing_file(env, "HEYNOW_SIMULATOR_CONFIG"),
        heynow_simulator=simulator_on_purpose,
        heynow_platforms=platforms,
        heynow_senders=_senders(env.get("HEYNOW_SENDERS")),
        language=_language(env.get("HEYNOW_LANGUAGE", "es")),
        timezone=timezone,
        mass=mass,
        team=_team(env),
        poll_seconds=poll_seconds,
        poll_max_seconds=poll_max,
        stuck_minutes=_number(env, "HEYNOW_STUCK_MINUTES", 30),
        poll_give_up_hours=_number(env, "HEYNOW_POLL_GIVE_UP_HOURS", 48),
        queue_max_age_minutes=_number(env, "HEYNOW_QUEUE_MAX_AGE_MINUTES", 10),
        slack_give_up_minutes=_number(env, "HEYNOW_SLACK_GIVE_UP_MINUTES", 60),
        slack_timeout_seconds=_number(env, "SLACK_TIMEOUT_SECONDS", 10),
        database_path=_database_path(env.get("DATABASE_PATH", "heynow.db")),
        host=env.get("HOST", "127.0.0.1"),
        port=_port(env.get("PORT", "3000")),
        log_level=_log_level(env.get("LOG_LEVEL", "INFO")),
    )


def _number(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of {_unit(name)}, not {raw!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ConfigError(f"{name} must be a positive number of {_unit(name)}, not {raw!r}")
    return value


def _unit(name: str) -> str:
    for ending, unit in UNITS.items():
        if name.endswith(ending):
            return unit
    return "seconds"


UNITS = {
    "HOURS": "hours",
    "MINUTES": "minutes",
    "_RATE": "sends a second",
    "_RECIPIENTS": "recipients",
    "_FAILURES": "failures",
}


def _whole(env: dict[str, str], name: str, default: int) -> int:
    value = _number(env, name, default)
    if value != int(value):
        raise ConfigError(f"{name} must be a whole number of {_unit(name)}, not {env[name]!r}")
    return int(value)


def _require_url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}")
    return value


def _default_platform(env: dict[str, str], *, simulator: bool) -> PlatformRef | None:
    raw = env.get("HEYNOW_DEFAULT_PLATFORM") or (SIMULATOR_DEFAULT_PLATFORM if simulator else None)
    if raw is None:
        return None
    try:
        return PlatformRef.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"HEYNOW_DEFAULT_PLATFORM: {exc}") from None


def _region(raw: str) -> str:
    region = raw.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(
            f"HEYNOW_DEFAULT_REGION must be a two-letter country code like UY, not {raw!r}"
        )
    return region


def _language(raw: str) -> str:
    language = raw.strip().lower()
    if language not in LANGUAGES:
        raise ConfigError(f"HEYNOW_LANGUAGE must be es or en, not {raw!r}")
    return language


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"HEYNOW_TIMEZONE must be a time zone name like America/Montevideo, not {raw!r}"
        ) from None
    return raw


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"PORT must be a TCP port number (1-65535), not {raw!r}")
    return int(raw)


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {raw!r}")
    return level


def _database_path(path: str) -> str:
    folder = Path(path).expanduser().resolve().parent
    if path != ":memory:" and not folder.is_dir():
        raise ConfigError(f"DATABASE_PATH is in a folder that does not exist: {folder}")
    return path


def _existing_file(env: dict[str, str], name: str) -> str | None:
    path = env.get(name)
    if path is not None and not Path(path).is_file():
        raise ConfigError(f"{name} names a file that does not exist: {path!r}")
    return path


def _flag(env: dict[str, str], name: str) -> bool:
    raw = env.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(f"{name} must be true or false, not {env[name]!r}")
    return raw in ("true", "1", "yes")


def _platforms(raw: str | None, name: str = "HEYNOW_PLATFORMS") -> tuple[AllowedPlatform, ...]:
    """`CHANNEL:PLATFORM[=Label]`, separated by commas."""
    if not raw:
        return ()
    allowed = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        ref_text, _, label = item.partition("=")
        try:
            ref = PlatformRef.parse(ref_text)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
        allowed.append(AllowedPlatform(ref, label.strip() or ref.label))
    refs = [p.ref for p in allowed]
    if len(set(refs)) != len(refs):
        raise ConfigError(f"{name} names a platform twice")
    return tuple(allowed)


_SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")


def _senders(raw: str | None, name: str = "HEYNOW_SENDERS") -> tuple[str, ...]:
    """Slack user ids (U…, W…) and user-group ids (S…), separated by commas or spaces."""
    ids = tuple(word for word in re.split(r"[\s,]+", raw or "") if word)
    wrong = [word for word in ids if not _SLACK_ID.match(word)]
    if wrong:
        raise ConfigError(
            f"{name} takes Slack user ids (U…) and user-group ids (S…), not {wrong[0]!r}"
        )
    return ids


def _label(platform: AllowedPlatform, named: tuple[AllowedPlatform, ...]) -> str:
    """A mass platform's own label, else the one HEYNOW_PLATFORMS gives it."""
    if platform.label != platform.ref.label:
        return platform.label
    return next((p.label for p in named if p.ref == platform.ref), platform.label)


_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def _mass(env: dict[str, str], platforms: tuple[AllowedPlatform, ...], zone: str) -> MassSettings:
    channel = env.get("HEYNOW_APPROVALS_CHANNEL")
    if channel and not _CHANNEL_ID.match(channel):
        raise ConfigError(
            f"HEYNOW_APPROVALS_CHANNEL must be a channel id like C0123ABCD, not {channel!r}"
        )
    approvers = _senders(env.get("HEYNOW_APPROVERS"), "HEYNOW_APPROVERS")
    if channel and not approvers:
        raise ConfigError("HEYNOW_APPROVERS is required when HEYNOW_APPROVALS_CHANNEL is set")
    mass_platforms = tuple(_platforms(env.get("HEYNOW_MASS_PLATFORMS"), "HEYNOW_MASS_PLATFORMS"))
    allowed = {p.ref for p in platforms}
    outside = [p.ref for p in mass_platforms if allowed and p.ref not in allowed]
    if outside:
        raise ConfigError(f"HEYNOW_MASS_PLATFORMS: {outside[0]} is not one of HEYNOW_PLATFORMS")
    quiet_raw = env.get("HEYNOW_QUIET_HOURS")
    try:
        quiet = QuietHours.parse(quiet_raw, zone) if quiet_raw else None
    except ValueError:
        raise ConfigError(
            f"HEYNOW_QUIET_HOURS must be like 21:00-09:00, not {quiet_raw!r}"
        ) from None
    rate = _number(env, "HEYNOW_MASS_RATE", 10)
    if rate > 1000:
        raise ConfigError("HEYNOW_MASS_RATE must be at most 1000 sends a second")
    return MassSettings(
        approvals_channel=channel,
        approvers=approvers,
        allow_self_approval=_flag(env, "HEYNOW_ALLOW_SELF_APPROVAL"),
        approval_expiry_hours=_number(env, "HEYNOW_APPROVAL_EXPIRY_HOURS", 24),
        platforms=tuple(AllowedPlatform(p.ref, _label(p, platforms)) for p in mass_platforms),
        max_recipients=_whole(env, "HEYNOW_MASS_MAX_RECIPIENTS", 10_000),
        rate=rate,
        max_failures=_whole(env, "HEYNOW_MASS_MAX_FAILURES", 10),
        quiet_hours=quiet,
    )


def _team(env: dict[str, str]) -> TeamSettings:
    channel = env.get("HEYNOW_NOTIFY_CHANNEL")
    if channel and not _CHANNEL_ID.match(channel):
        raise ConfigError(
            f"HEYNOW_NOTIFY_CHANNEL must be a channel id like C0123ABCD, not {channel!r}"
        )
    raw_time = env.get("HEYNOW_DIGEST_TIME", "18:00")
    try:
        digest_time = None if raw_time.lower() == "off" else time.fromisoformat(raw_time)
    except ValueError:
        raise ConfigError(
            f"HEYNOW_DIGEST_TIME must be a time like 18:00 (or off), not {raw_time!r}"
        ) from None
    return TeamSettings(
        notify_channel=channel or None,
        agenda_poll_minutes=_number(env, "HEYNOW_AGENDA_POLL_MINUTES", 5),
        recovery_seconds=_number(env, "HEYNOW_RECOVERY_SECONDS", 60),
        digest_time=digest_time.replace(second=0, microsecond=0) if digest_time else None,
    )
