"""The buttons of a new contact's post in HEYNOW_NOTIFY_CHANNEL: **Send a message** (the send
form for that client) and **I'll take it** (one taker; a second click is told who)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.heynow.channels import PlatformRef
from bot.i18n import current, say, speaking
from bot.slack import render
from bot.slack.explain import not_a_sender, out_of_date
from bot.slack.forms import Prefill
from bot.slack.team_blocks import SEND_ACTION, TAKE_ACTION, contact_of
from handlers.actions.telling import teller
from handlers.commands import may_send, open_form
from storage.team import NewContact

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(TAKE_ACTION)(take_contact)
    app.action(SEND_ACTION)(send_to_contact)


def take_contact(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    with speaking(context["texts"]):
        user, warn = body["user"]["id"], teller(body, respond, client, warning=True)
        contact = _clicked_contact(action, context, user, warn)
        if contact is None:
            return
        taken = context["team"].take(contact.id, user)
        context["home"].redraw(user, "took")
        holder = taken.contact
        if taken.won:
            said = say("team.took_it", who=_who(contact))
        elif holder is not None and holder.taken_by == user:
            said = say("team.took_it_already", who=_who(contact))
        else:
            by = holder.taken_by if holder else ""
            at = current().when(holder.taken_at) if holder else ""
            said = say("team.taken_by_other", who=_who(contact), user=f"<@{by}>", at=at)
        (teller(body, respond, client) if taken.won else warn)(said)


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
        user, warn = body["user"]["id"], teller(body, respond, client, warning=True)
        contact = _clicked_contact(action, context, user, warn)
        if contact is None:
            return
        prefill = Prefill(platform=PlatformRef.parse(contact.platform), client=contact.client_id)
        channel = (body.get("channel") or {}).get("id") or user
        open_form(client, _responder(warn), body["trigger_id"], context["inputs"], channel, prefill)


def _clicked_contact(
    action: dict[str, Any], context: BoltContext, user: str, warn: Callable[[str], None]
) -> NewContact | None:
    """The contact a button names, if the app posted it and the clicker may answer it; else
    the clicker is told why not, and None."""
    number = contact_of(action.get("value"))
    contact = context["team"].get(number) if number is not None else None
    if contact is None:
        logger.warning("A new contact's button came back naming a contact the app never posted")
        warn(out_of_date())
        return None
    if not may_send(context, user):
        warn(not_a_sender(context["permissions"]))
        return None
    return contact


def _who(contact: NewContact) -> str:
    return render.shorten(contact.name or contact.client_id, 80)


def _responder(warn: Callable[[str], None]) -> Any:
    """open_form answers with respond(text=..., blocks=...): from a Home, that is the DM."""
    return lambda *, text, **_: warn(text)
