"""The send form's submission: field errors shown in the form, the send done after it closes."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.messaging import InputError, Messaging, SendRequest, SlackOrigin
from handlers.commands import deliver
from handlers.replies import SEND_FORM_ID

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.view(SEND_FORM_ID)(submit_send_form)


def submit_send_form(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    messaging: Messaging = context["messaging"]
    values = view["state"]["values"]
    user = body["user"]["id"]
    channel = json.loads(view.get("private_metadata") or "{}").get("channel") or user
    origin = SlackOrigin(
        team_id=(body.get("team") or {}).get("id"),
        channel_id=channel,
        user_id=user,
        request_key=context.get("request_key") or f"view:{view['id']}:{body.get('trigger_id')}",
    )
    options = values.get("options", {}).get("value", {}).get("selected_options") or []
    try:
        request = messaging.prepare_send(
            origin,
            _text(values, "platform") or None,
            _text(values, "client"),
            _text(values, "text"),
            validate=not any(o.get("value") == "no-validate" for o in options),
        )
    except InputError as exc:
        ack(response_action="errors", errors={exc.field or "text": str(exc)[:150]})
        return
    ack()
    context["workers"].submit(send_and_tell, messaging, request, client)


def send_and_tell(messaging: Messaging, request: SendRequest, client: WebClient) -> None:
    problem = deliver(messaging, request)
    if problem:
        tell(client, request.origin.channel_id, request.origin.user_id, problem)


def _text(values: dict[str, Any], block_id: str) -> str:
    return (values.get(block_id, {}).get("value", {}).get("value") or "").strip()


def tell(client: WebClient, channel: str, user: str, text: str) -> None:
    """An ephemeral note in the channel; in the DM when the bot cannot post there."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks.error(text))
    except SlackApiError:
        client.chat_postMessage(channel=user, text=text, blocks=blocks.error(text))
