"""The Home tab's own buttons: **New message** opens the send form as `/heynow send` does, and
**New mass send** the mass form as the global shortcut does. A Home has no response_url, so
whoever may not is told why in their DM with the app."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.i18n import speaking
from bot.slack import render
from bot.slack.explain import not_a_sender
from bot.slack.home_blocks import NEW_MASS_SEND, NEW_MESSAGE
from handlers.commands import may_send, open_form
from handlers.commands.mass import open_mass_form
from handlers.shortcuts import tell_privately


def register(app: App) -> None:
    app.action(NEW_MESSAGE)(new_message)
    app.action(NEW_MASS_SEND)(new_mass_send)


def new_message(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The send's channel post goes to the person's DM with the app: a Home is in no channel."""
    ack()
    with speaking(context["texts"]):
        user = body["user"]["id"]
        tell = tell_privately(client, body)
        if not may_send(context, user):
            refusal = not_a_sender(context["permissions"])
            tell(text=refusal, blocks=render.error(refusal))
            return
        open_form(client, tell, body["trigger_id"], context["inputs"], user)


def new_mass_send(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    with speaking(context["texts"]):
        open_mass_form(client, tell_privately(client, body), body["trigger_id"], context, "")
