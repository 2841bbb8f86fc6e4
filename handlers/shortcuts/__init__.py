"""Shortcuts: the global **New mass send** opens the mass-send form from anywhere in Slack;
the message shortcut **Send with Hey Now** opens the send form with that message's text."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.i18n import speaking
from bot.slack import render
from bot.slack.explain import not_a_sender
from bot.slack.forms import Prefill
from handlers.commands import open_form
from handlers.commands.grammar import unescape_slack
from handlers.commands.mass import open_mass_form

MASS_SHORTCUT = "heynow_mass"
SEND_SHORTCUT = "heynow_send_message"


def register(app: App) -> None:
    app.shortcut(MASS_SHORTCUT)(new_mass_send)
    app.shortcut(SEND_SHORTCUT)(send_this_message)


def send_this_message(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """A Slack message, sent on to a client: the form opens with its text, as Slack shows it
    (its entities back to characters)."""
    ack()
    with speaking(context["texts"]):
        user = body["user"]["id"]
        tell = tell_privately(client, body)
        if not context["permissions"].may_send(user):
            refusal = not_a_sender(context["permissions"])
            tell(text=refusal, blocks=render.error(refusal))
            return
        text = unescape_slack(str((body.get("message") or {}).get("text") or ""))
        channel = (body.get("channel") or {}).get("id") or user
        open_form(client, tell, body["trigger_id"], context["inputs"], channel, Prefill(text=text))


def new_mass_send(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    with speaking(context["texts"]):
        open_mass_form(client, tell_privately(client, body), body["trigger_id"], context, "")


def tell_privately(client: WebClient, body: dict[str, Any]) -> Any:
    """A global shortcut has no response_url: a refusal goes to the person's DM."""
    user = body["user"]["id"]

    def tell(*, text: str, blocks: list[Any], **_: Any) -> None:
        client.chat_postMessage(channel=user, text=text, blocks=blocks)

    return tell
