"""Buttons: agenda pages, and the help's "Send a message"."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import blocks
from bot.heynow import HeyNowError
from bot.messaging import InputError, Messaging
from handlers.replies import explain, send_form

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(re.compile(r"^agenda_page_(prev|next)$"))(turn_agenda_page)
    app.action("open_send_form")(open_send_form)


def turn_agenda_page(
    ack: Ack, action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    ack()
    context["workers"].submit(show_agenda_page, context["messaging"], action, respond)


def show_agenda_page(messaging: Messaging, action: dict[str, Any], respond: Respond) -> None:
    try:
        state = json.loads(action.get("value") or "{}")
        page = messaging.agenda(state.get("ref"), state.get("query", ""), int(state.get("page", 1)))
        body = blocks.agenda_page(page)
    except (ValueError, TypeError, InputError) as exc:
        body = blocks.error(f"That page cannot be shown ({exc}). Run `/heynow agenda` again.")
    except HeyNowError as exc:
        body = blocks.error(explain(exc, action="agenda"))
    respond(replace_original=True, text="Agenda", blocks=body)


def open_send_form(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    messaging: Messaging = context["messaging"]
    channel = (body.get("channel") or {}).get("id") or body["user"]["id"]
    client.views_open(
        trigger_id=body["trigger_id"], view=send_form(messaging.default_platform, channel)
    )
