"""Shortcuts: the global **New mass send** opens the mass-send form from anywhere in Slack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.i18n import speaking
from handlers.commands.mass import open_mass_form

MASS_SHORTCUT = "heynow_mass"


def register(app: App) -> None:
    app.shortcut(MASS_SHORTCUT)(new_mass_send)


def new_mass_send(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    with speaking(context["texts"]):
        open_mass_form(client, _tell_privately(client, body), body["trigger_id"], context, "")


def _tell_privately(client: WebClient, body: dict[str, Any]) -> Any:
    """A global shortcut has no response_url: a refusal goes to the person's DM."""
    user = body["user"]["id"]

    def tell(*, text: str, blocks: list[Any], **_: Any) -> None:
        client.chat_postMessage(channel=user, text=text, blocks=blocks)

    return tell
