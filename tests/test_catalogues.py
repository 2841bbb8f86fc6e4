"""The catalogues: every key in both languages with the same placeholders, every key the code
says exists, and the reader's language, time zone and plural forms as Babel gives them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, Texts, say, speaking
from bot.i18n.catalog import catalogue, placeholders, po_path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    path
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]
    if "i18n" not in path.parts  # its docstrings show the calls with made-up keys
]
# A key named in code: say("key", ...), plural("key", ...), texts("key", ...), key("...").
SAID = re.compile(r"""\b(?:say|plural|texts|tx|_t)\(\s*["']([a-z][a-z0-9_.]*)["']""")


def test_both_languages_have_the_same_keys() -> None:
    spanish, english = set(catalogue("es")), set(catalogue("en"))
    assert spanish - english == set(), "keys only in Spanish"
    assert english - spanish == set(), "keys only in English"


def test_each_key_has_the_same_placeholders_in_both_languages() -> None:
    differ = {
        key: (placeholders(catalogue("es")[key]), placeholders(catalogue("en")[key]))
        for key in catalogue("es")
        if placeholders(catalogue("es")[key]) != placeholders(catalogue("en").get(key, ""))
    }
    assert differ == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_key_is_written_twice(language: str) -> None:
    keys = re.findall(r'^msgid "(.+)"$', po_path(language).read_text("utf-8"), re.MULTILINE)
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


def test_every_key_named_in_code_is_in_the_catalogues() -> None:
    named = {key for path in SOURCES for key in SAID.findall(path.read_text("utf-8"))}
    assert named, "the pattern finds the keys the code names"
    plural_bases = {k.rsplit("_", 1)[0] for k in catalogue("en") if k.endswith("_other")}
    assert sorted(named - set(catalogue("en")) - plural_bases) == []


def test_a_plural_text_has_its_other_form_in_both_languages() -> None:
    for language in LANGUAGES:
        bases = {k.rsplit("_", 1)[0] for k in catalogue(language) if k.endswith(("_one", "_many"))}
        assert {b for b in bases if f"{b}_other" not in catalogue(language)} == set()


def test_what_is_said_follows_the_language_spoken() -> None:
    with speaking(Texts.of("es")):
        assert say("app.name") == "Hey Now"
    with speaking(Texts.of("en")):
        assert say("app.name") == "Hey Now"


@pytest.mark.parametrize(
    ("slack_locale", "zone", "expected"),
    [
        ("es-LA", "America/Montevideo", ("es", "es_419", "America/Montevideo")),
        ("es-ES", None, ("es", "es_ES", "America/Montevideo")),
        ("en-US", "America/New_York", ("en", "en_US", "America/New_York")),
        ("en-GB", "Europe/London", ("en", "en_GB", "Europe/London")),
        ("fr-FR", "Europe/Paris", ("es", "es_UY", "Europe/Paris")),  # no French catalogue
        (None, "Not/AZone", ("es", "es_UY", "America/Montevideo")),
    ],
)
def test_a_slack_users_texts(
    slack_locale: str | None, zone: str | None, expected: tuple[str, str, str]
) -> None:
    texts = Texts.for_slack(slack_locale, zone, Texts.of("es"))
    assert (texts.language, texts.locale, texts.zone) == expected


def test_times_are_in_the_readers_zone_and_locale() -> None:
    at = 1796144700  # 2026-12-01 17:05 UTC
    assert Texts.of("es", "America/Montevideo").when(at) == "1 dic. 2026, 14:05"
    assert (
        Texts.of("en", "America/New_York").when(at) == "Dec 1, 2026, 12:05\u202fPM"
    )  # CLDR: a narrow space


def test_numbers_are_grouped_as_the_locale_groups_them() -> None:
    assert Texts.of("es").number(12345) == "12.345"
    assert Texts.of("en").number(12345) == "12,345"


def test_an_unknown_language_setting_falls_back_to_spanish() -> None:
    assert Texts.of("pt").language == "es"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_formats_with_its_own_placeholders(language: str) -> None:
    """A literal brace must be doubled: `{first_name}` in a hint is written `{{first_name}}`."""
    broken = []
    for key, template in catalogue(language).items():
        try:
            template.format_map({name: "x" for name in placeholders(template)})
        except (KeyError, ValueError, IndexError):
            broken.append(key)
    assert broken == []
