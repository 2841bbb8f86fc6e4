"""The help and the send form."""

from __future__ import annotations

import json
from typing import Any

from bot.config import AllowedPlatform
from bot.heynow import PlatformRef
from bot.slack.render import Block, context, escape, section

SEND_FORM_ID = "heynow_send_form"


def help_blocks(default_platform: PlatformRef | None) -> list[Block]:
    default = (
        f"Without CHANNEL:PLATFORM the default platform `{default_platform}` ({escape(default_platform.label)}) is used."
        if default_platform
        else "No default platform is set, so name one as CHANNEL:PLATFORM, e.g. `1:59899000001`."
    )
    usage = "\n".join(
        [
            "*Send a message* — `/heynow send [--no-validate] [CHANNEL:PLATFORM] CLIENT TEXT`",
            "    `/heynow send 091000001 Hi Ana, your order is ready!`",
            "    `/heynow send whatsapp:59899000001 +59891000002 See you tomorrow`",
            "    `/heynow send --no-validate 2:104857600123456 2458811223344556 Hello`",
            "    `/heynow send` alone opens a form.",
            "*Follow a message* — `/heynow status ID` (ours: `#12` or its idMessageHey), "
            "`/heynow status CHANNEL:PLATFORM ID` (any), `/heynow status` (your last 10)",
            "*Look someone up* — `/heynow contact [CHANNEL:PLATFORM] CLIENT`",
            "*Search the agenda* — `/heynow agenda [CHANNEL:PLATFORM] [TEXT]`",
        ]
    )
    notes = (
        "CHANNEL is 1 WhatsApp, 2 Messenger, 3 Twitter, 4 WebChat (or the name). "
        "WhatsApp numbers may be local or international. Messages only go to clients in the "
        "platform's agenda unless you add `--no-validate` and the platform allows it. "
        "Delivery (two ticks) and reading (blue ticks) arrive in the message's thread. " + default
    )
    button = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "open_send_form",
                "text": {"type": "plain_text", "text": "Send a message"},
                "style": "primary",
            }
        ],
    }
    return [section(usage), context(notes), button]


def send_form(
    default_platform: PlatformRef | None,
    origin_channel: str,
    platforms: tuple[AllowedPlatform, ...] = (),
) -> dict[str, Any]:
    """The send modal; private_metadata keeps the channel the form was opened from. With
    HEYNOW_PLATFORMS it offers exactly those, by label; otherwise CHANNEL:PLATFORM is typed."""
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
        "title": {"type": "plain_text", "text": "Send through Hey Now"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "platform",
                "label": {"type": "plain_text", "text": "From (CHANNEL:PLATFORM)"},
                "hint": {
                    "type": "plain_text",
                    "text": "1 WhatsApp, 2 Messenger, 3 Twitter, then our own id",
                },
                "element": platform_input,
            },
            {
                "type": "input",
                "block_id": "client",
                "label": {"type": "plain_text", "text": "To (client)"},
                "hint": {
                    "type": "plain_text",
                    "text": "Phone number for WhatsApp; the client's id elsewhere",
                },
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 64},
            },
            {
                "type": "input",
                "block_id": "text",
                "label": {"type": "plain_text", "text": "Message"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 3000,
                },
            },
            {
                "type": "input",
                "block_id": "options",
                "optional": True,
                "label": {"type": "plain_text", "text": "Options"},
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [
                        {
                            "text": {
                                "type": "plain_text",
                                "text": "Send even if not in the agenda",
                            },
                            "description": {
                                "type": "plain_text",
                                "text": "contactValidation=false: only where the platform allows it",
                            },
                            "value": "no-validate",
                        }
                    ],
                },
            },
        ],
    }


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
