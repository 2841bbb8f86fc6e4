"""The words handlers answer with: help, plain-language errors, and the send form."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks import Block, context, escape, section
from bot.heynow import (
    DeliveryUnknown,
    HeyNowError,
    HeyNowHTTPError,
    NotFound,
    PermissionDenied,
    PlatformRef,
)

SEND_FORM_ID = "heynow_send_form"
OOPS = (
    "Something went wrong on our side and the request was not completed. Try again; if it "
    "keeps happening, tell an admin (the details are in the app's log)."
)


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


def explain(
    error: HeyNowError, *, action: str, ref: PlatformRef | None = None, subject: str = ""
) -> str:
    """A Hey Now failure in plain words, with what to do; `action` is send, status, contact or agenda."""
    where = escape(ref.label) if ref else "that platform"
    who = escape(subject)
    sending = action == "send"
    if isinstance(error, NotFound):
        return _not_found(action, who, where)
    if isinstance(error, PermissionDenied):
        return (
            f"{where} does not belong to this app's Hey Now account. Use one of the account's "
            "platforms (an admin knows which), or ask an admin to fix HEYNOW_DEFAULT_PLATFORM."
        )
    if isinstance(error, DeliveryUnknown):
        return error.user_message
    nothing_sent = " Nothing was sent." if sending else ""
    if isinstance(error, HeyNowHTTPError) and error.status_code < 500 and error.status_code != 401:
        return (
            f"Hey Now did not accept the request (it answered {error.status_code}).{nothing_sent}"
        )
    return error.user_message + nothing_sent


def _not_found(action: str, who: str, where: str) -> str:
    if action == "send":
        return (
            f"Not sent: {who} is not in the agenda of {where} (they never wrote to it). "
            "Check the number with `/heynow contact`; if the platform may write to new clients, "
            "send again with `--no-validate`."
        )
    if action == "status":
        return f"Hey Now knows no message `{who}` on {where}. Check the id, or the platform it was sent from."
    if action == "contact":
        return f"{who} is not in the agenda of {where}: they never wrote to it. `/heynow agenda` lists who did."
    return f"Hey Now knows no platform {where}."


def send_form(default_platform: PlatformRef | None, origin_channel: str) -> dict[str, Any]:
    """The send modal; private_metadata keeps the channel the form was opened from."""
    platform_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "placeholder": {"type": "plain_text", "text": "1:59899000001"},
    }
    if default_platform:
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
