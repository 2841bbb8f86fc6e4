"""The help and the send form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.config import AllowedPlatform
from bot.heynow import PlatformRef
from bot.i18n import say
from bot.slack.render import Block, context, escape, section

SEND_FORM_ID = "heynow_send_form"


# The help's lines, each a key `help.<line>`: the words of the reader's language, then a line
# that says the other language's words work too (handlers/commands/grammar.py takes both).
HELP_LINES = (
    "send",
    "example_local",
    "example_platform",
    "example_no_validate",
    "example_form",
    "status",
    "history",
    "contact",
    "agenda",
    "mass",
    "optout",
    "help",
    "other_words",
)
HELP_EXAMPLES = ("example_local", "example_platform", "example_no_validate", "example_form")


def help_blocks(default_platform: PlatformRef | None) -> list[Block]:
    default = (
        say("help.default", ref=str(default_platform), label=escape(default_platform.label))
        if default_platform
        else say("help.no_default")
    )
    usage = "\n".join(
        ("    " if line in HELP_EXAMPLES else "") + say(f"help.{line}") for line in HELP_LINES
    )
    notes = say("help.notes") + " " + default
    button = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "open_send_form",
                "text": _plain(say("help.button")),
                "style": "primary",
            }
        ],
    }
    return [section(usage), context(notes), button]


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


FORM_TEXT_LIMIT = 3000  # Slack's most for a plain_text_input


@dataclass(frozen=True)
class Prefill:
    """What a form opened from something already there starts with: a follow-up of a message
    (its platform and client), or a Slack message sent on (its text)."""

    platform: PlatformRef | None = None
    client: str | None = None
    text: str | None = None


def send_form(
    default_platform: PlatformRef | None,
    origin_channel: str,
    platforms: tuple[AllowedPlatform, ...] = (),
    prefill: Prefill | None = None,
) -> dict[str, Any]:
    """The send modal; private_metadata keeps the channel the form was opened from. With
    HEYNOW_PLATFORMS it offers exactly those, by label; otherwise CHANNEL:PLATFORM is typed."""
    prefill = prefill or Prefill()
    default_platform = prefill.platform or default_platform
    platform_input = (
        _platform_choice(platforms, default_platform)
        if platforms
        else {
            "type": "plain_text_input",
            "action_id": "value",
            "placeholder": {"type": "plain_text", "text": "1:59899000001"},
        }
    )
    if default_platform and not platforms:
        platform_input["initial_value"] = str(default_platform)
    return {
        "type": "modal",
        "callback_id": SEND_FORM_ID,
        "private_metadata": json.dumps({"channel": origin_channel}),
        "title": _plain(say("form.title")),
        "submit": _plain(say("form.submit")),
        "close": _plain(say("form.close")),
        "blocks": [
            {
                "type": "input",
                "block_id": "platform",
                "label": _plain(say("form.platform")),
                "hint": _plain(say("form.platform_hint")),
                "element": platform_input,
            },
            {
                "type": "input",
                "block_id": "client",
                "label": _plain(say("form.client")),
                "hint": _plain(say("form.client_hint")),
                "element": _prefilled(
                    {"type": "plain_text_input", "action_id": "value", "max_length": 64},
                    prefill.client,
                    64,
                ),
            },
            {
                "type": "input",
                "block_id": "text",
                "label": _plain(say("form.text")),
                "element": _prefilled(
                    {
                        "type": "plain_text_input",
                        "action_id": "value",
                        "multiline": True,
                        "max_length": FORM_TEXT_LIMIT,
                    },
                    prefill.text,
                    FORM_TEXT_LIMIT,
                ),
            },
            {
                "type": "input",
                "block_id": "options",
                "optional": True,
                "label": _plain(say("form.options")),
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [
                        {
                            "text": _plain(say("form.no_validate")),
                            "description": _plain(say("form.no_validate_hint")),
                            "value": "no-validate",
                        }
                    ],
                },
            },
        ],
    }


def _prefilled(element: dict[str, Any], value: str | None, limit: int) -> dict[str, Any]:
    """A text input starting with `value`, cut to what the input takes (Slack refuses an
    initial value longer than max_length)."""
    if value:
        element["initial_value"] = value[:limit]
    return element


def _platform_choice(
    platforms: tuple[AllowedPlatform, ...], default: PlatformRef | None
) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": p.label[:75]}, "value": str(p.ref)}
        for p in platforms
    ]
    choice: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options}
    initial = next((o for o in options if o["value"] == str(default)), None)
    if initial is not None:
        choice["initial_option"] = initial
    return choice
