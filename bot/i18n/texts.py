"""A reader's language, locale and time zone, and the texts said in them."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal

from bot.i18n.catalog import catalogue

logger = logging.getLogger(__name__)

LANGUAGES = ("es", "en")  # the catalogues there are; the first is the default
# Slack's locales that Babel reads otherwise: Slack's "es-LA" is Latin America, not Laos.
SLACK_LOCALES = {"es-LA": "es_419"}
DEFAULT_ZONE = "America/Montevideo"


@dataclass(frozen=True)
class Texts:
    """The texts of one reader: `language` picks the catalogue, `locale` formats dates and
    numbers (Babel's id, e.g. es_UY), `zone` is their time zone (IANA)."""

    language: str = "es"
    locale: str = "es_UY"
    zone: str = DEFAULT_ZONE

    @classmethod
    def of(cls, language: str, zone: str | None = None) -> Texts:
        """The texts of a configured language (HEYNOW_LANGUAGE) and zone."""
        lang = language if language in LANGUAGES else LANGUAGES[0]
        return cls(lang, {"es": "es_UY", "en": "en_US"}[lang], _zone(zone) or DEFAULT_ZONE)

    @classmethod
    def for_slack(cls, slack_locale: str | None, zone: str | None, fallback: Texts) -> Texts:
        """A Slack user's texts (users.info's `locale` and `tz`); what Slack does not say, or
        what has no catalogue (a French reader), is the fallback's."""
        locale = _babel_locale(slack_locale)
        if locale is None or locale.language not in LANGUAGES:
            return cls(fallback.language, fallback.locale, _zone(zone) or fallback.zone)
        return cls(locale.language, str(locale), _zone(zone) or fallback.zone)

    @classmethod
    def recorded(cls, locale: str | None, zone: str | None, fallback: Texts) -> Texts:
        """The texts stored with a message (its sender's); a row from before they were
        stored, or with a locale no longer known, reads the fallback's."""
        if not locale:
            return fallback
        return cls.for_slack(locale.replace("_", "-"), zone, fallback)

    def __call__(self, key: str, **params: Any) -> str:
        """The text of `key` with its placeholders filled; a key missing from this language
        falls back to the other one (the catalogue test keeps that from happening)."""
        template = catalogue(self.language).get(key)
        if template is None:
            logger.error("No %s text for %r", self.language, key)
            template = next(
                (catalogue(lang)[key] for lang in LANGUAGES if key in catalogue(lang)), key
            )
        return template.format_map(params)

    def plural(self, key: str, count: int, **params: Any) -> str:
        """`key_one`, `key_many` or `key_other`, as the language's plural rules choose for
        `count` (Spanish says "1 contacto", "2 contactos", "1 millón de contactos")."""
        form = _locale(self.locale).plural_form(count)
        chosen = f"{key}_{form}"
        if chosen not in catalogue(self.language):
            chosen = f"{key}_other"
        return self(chosen, count=self.number(count), **params)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def when(self, at: float) -> str:
        """A moment as this reader reads it: their zone, their locale's date and time."""
        moment = datetime.fromtimestamp(at, UTC)
        zone = ZoneInfo(self.zone)
        locale = _locale(self.locale)
        date = format_skeleton("yMMMd", moment, tzinfo=zone, locale=locale)
        time = format_time(moment, "short", tzinfo=zone, locale=locale)
        return str(locale.datetime_formats["medium"]).format(time, date)


@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def _babel_locale(slack_locale: str | None) -> Locale | None:
    if not slack_locale:
        return None
    name = SLACK_LOCALES.get(slack_locale, slack_locale)
    try:
        return Locale.parse(name, sep="-" if "-" in name else "_")
    except (UnknownLocaleError, ValueError):
        try:  # a territory Babel does not know: the language alone
            return Locale.parse(name.replace("-", "_").split("_")[0])
        except (UnknownLocaleError, ValueError):
            return None


def _zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


_SPEAKING: ContextVar[Texts] = ContextVar("speaking")
_DEFAULT = Texts()


@contextlib.contextmanager
def speaking(texts: Texts) -> Iterator[Texts]:
    """Say everything within in `texts`' language: set at each entry point (a listener, the
    outbox poster, the console) for the person who will read what is built there."""
    token = _SPEAKING.set(texts)
    try:
        yield texts
    finally:
        _SPEAKING.reset(token)


def current() -> Texts:
    return _SPEAKING.get(_DEFAULT)


def say(key: str, **params: Any) -> str:
    """The text of `key` in the language being spoken."""
    return current()(key, **params)


def knows(key: str) -> bool:
    """Whether the catalogues hold `key` (for texts chosen by a name from outside, such as
    a Hey Now error's)."""
    return key in catalogue(current().language)


def plural(key: str, count: int, **params: Any) -> str:
    return current().plural(key, count, **params)
