"""The buttons of a new contact's post in HEYNOW_NOTIFY_CHANNEL: **Send a message** (the send
form for that client) and **I'll take it** (one taker; a second click is told who)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.heynow.channels import PlatformRef
from bot.i18n import current, say, speaking
from bot.slack import render
from bot.slack.explain import not_a_sender, out_of_date
from bot.slack.forms import Prefill
from bot.slack.team_blocks import SEND_ACTION, TAKE_ACTION, contact_of
from handlers.commands import may_send, open_form
from storage.team import NewContact

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(TAKE_ACTION)(take_contact)
    app.action(SEND_ACTION)(send_to_contact)


def take_contact(
    ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    ack()
    with speaking(context["texts"]):
        user = body["user"]["id"]
        contact = _contact(action, context, respond)
        if contact is None or not _may_send(context, user, respond):
            return
        taken = context["team"].take(contact.id, user)
        holder = taken.contact
        if taken.won:
            said = say("team.took_it", who=_who(contact))
        elif holder is not None and holder.taken_by == user:
            said = say("team.took_it_already", who=_who(contact))
        else:
            by = holder.taken_by if holder else ""
            at = current().when(holder.taken_at) if holder else ""
            said = say("team.taken_by_other", who=_who(contact), user=f"<@{by}>", at=at)
        _tell(respond, said, error=not taken.won)


def send_to_contact(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    with speaking(context["texts"]):
        user = body["user"]["id"]
        contact = _contact(action, context, respond)
        if contact is None or not _may_send(context, user, respond):
            return
        prefill = Prefill(platform=PlatformRef.parse(contact.platform), client=contact.client_id)
        channel = (body.get("channel") or {}).get("id") or user
        open_form(client, respond, body["trigger_id"], context["inputs"], channel, prefill)


def _contact(action: dict[str, Any], context: BoltContext, respond: Respond) -> NewContact | None:
    number = contact_of(action.get("value"))
    contact = context["team"].get(number) if number is not None else None
    if contact is None:
        logger.warning("A new contact's button came back naming a contact the app never posted")
        _tell(respond, out_of_date(), error=True)
    return contact


def _may_send(context: BoltContext, user: str, respond: Respond) -> bool:
    if may_send(context, user):
        return True
    _tell(respond, not_a_sender(context["permissions"]), error=True)
    return False


def _who(contact: NewContact) -> str:
    return render.shorten(contact.name or contact.client_id, 80)


def _tell(respond: Respond, text: str, *, error: bool) -> None:
    blocks = render.error(text) if error else [render.section(text)]
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
