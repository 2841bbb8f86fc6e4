"""manifest.yml asks Slack for what the code listens to: the events, shortcuts and Home tab."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.shortcuts import MASS_SHORTCUT, SEND_SHORTCUT

MANIFEST = (Path(__file__).resolve().parents[1] / "manifest.yml").read_text()


def listed(key: str) -> set[str]:
    return set(re.findall(rf"^\s*-?\s*{key}:\s*(\S+)", MANIFEST, re.MULTILINE))


def test_the_home_tab_and_its_event_are_asked_for():
    assert re.search(r"^\s*home_tab_enabled: true", MANIFEST, re.MULTILINE)
    assert re.search(r"bot_events:\s*\n\s*- app_home_opened", MANIFEST)


def test_every_shortcut_the_app_listens_to_is_in_the_manifest():
    assert {MASS_SHORTCUT, SEND_SHORTCUT} <= listed("callback_id")


def test_the_scopes_the_team_view_needs_are_asked_for():
    scopes = set(re.findall(r"^\s*- ([a-z.:]+)\s", MANIFEST, re.MULTILINE))
    assert {"chat:write", "files:write", "im:write", "users:read", "channels:join"} <= scopes


def test_the_usage_hint_names_every_command_word():
    hint = re.search(r'usage_hint: "([^"]+)"', MANIFEST)
    assert hint is not None
    for word in ("send", "status", "contact", "agenda", "history", "mass", "optout", "help"):
        assert word in hint.group(1)
