"""Buttons: agenda pages, and the help's "Send a message".

A button's value comes back from Slack as the app wrote it, unless someone forged it: anything
that does not parse is answered "out of date", logged at WARNING without a traceback.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.domain.records import Message
from bot.heynow import HeyNowError
from bot.heynow.channels import platform_of
from bot.i18n import speaking
from bot.services.inputs import InputError
from bot.services.lookups import Lookups
from bot.slack import render
from bot.slack.explain import explain, not_a_sender, out_of_date
from bot.slack.forms import Prefill
from handlers.actions import home, mass, team
from handlers.commands import may_send, open_form

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(re.compile(r"^agenda_page_(prev|next)$"))(turn_agenda_page)
    app.action("open_send_form")(open_send_form)
    app.action("follow_up")(follow_up)
    mass.register(app)
    team.register(app)
    home.register(app)


def turn_agenda_page(
    ack: Ack, action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    ack()
    with speaking(context["texts"]):  # the look-up runs in a copy of this context
        context["lookup_pool"].submit(show_agenda_page, context["lookups"], action, respond)


def agenda_state(value: Any) -> tuple[str, str, int] | None:
    """(platform, query, page) from a page button's value, or None if the app never wrote it."""
    try:
        state = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if not isinstance(state, dict):
        return None
    ref, query, page = state.get("ref"), state.get("query", ""), state.get("page", 1)
    if not isinstance(ref, str) or not isinstance(query, str) or not isinstance(page, int):
        return None
    return ref, query, page


def show_agenda_page(lookups: Lookups, action: dict[str, Any], respond: Respond) -> None:
    state = agenda_state(action.get("value"))
    if state is None:
        logger.warning("An agenda button came back with a value the app never wrote")
        body = render.error(out_of_date())
    else:
        try:
            body = render.agenda_page(lookups.agenda(*state))
        except InputError:
            logger.warning("An agenda button named a platform that cannot be used")
            body = render.error(out_of_date())
        except HeyNowError as exc:
            body = render.error(explain(exc, action="agenda"))
    respond(replace_original=True, text=render.plain(body), blocks=body)


def open_send_form(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    with speaking(context["texts"]):
        offer_send_form(body, client, respond, context)


def offer_send_form(
    body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    if not may_send(context, body["user"]["id"]):
        refusal = not_a_sender(context["permissions"])
        respond(text=refusal, blocks=render.error(refusal), response_type="ephemeral")
        return
    channel = (body.get("channel") or {}).get("id") or body["user"]["id"]
    open_form(client, respond, body["trigger_id"], context["inputs"], channel)


def follow_up(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """A channel post's Follow up: the send form for the same client and platform."""
    ack()
    with speaking(context["texts"]):
        user = body["user"]["id"]
        message = _message_of(action.get("value"), context)
        if message is None or not context["permissions"].may_see(message, user):
            logger.warning("A follow-up button came back naming a message the clicker cannot see")
            said = out_of_date()
            respond(
                text=said,
                blocks=render.error(said),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        if not may_send(context, user):
            refusal = not_a_sender(context["permissions"])
            respond(
                text=refusal,
                blocks=render.error(refusal),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        prefill = Prefill(platform=platform_of(message), client=message.client_id)
        channel = (body.get("channel") or {}).get("id") or message.slack_channel
        open_form(client, respond, body["trigger_id"], context["inputs"], channel, prefill)


def _message_of(value: Any, context: BoltContext) -> Message | None:
    try:
        data = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    number = data.get("message") if isinstance(data, dict) else None
    if not isinstance(number, int) or isinstance(number, bool):
        return None
    return context["lookups"].store.messages.get(number)
