"""`/heynow`: parse, ack within Slack's 3 s, then do the Hey Now work and answer.

Answers to the caller are ephemeral (respond); only a successful send is visible to the channel,
and that post comes from the notifier, which tracks it.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import blocks
from bot.heynow import HeyNowError, PlatformRef
from bot.messaging import InputError, Messaging, SendRequest, SlackOrigin
from handlers import command_text as grammar
from handlers.replies import OOPS, explain, help_blocks, send_form

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.command("/heynow")(heynow_command)


def heynow_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    messaging: Messaging = context["messaging"]
    try:
        parsed = grammar.parse(command.get("text", ""))
    except grammar.CommandError as exc:
        ack(text=str(exc), blocks=blocks.error(str(exc)))
        return
    if isinstance(parsed, grammar.Help):
        ack(text="How to use /heynow", blocks=help_blocks(messaging.default_platform))
    elif isinstance(parsed, grammar.OpenSendForm):
        ack()
        client.views_open(
            trigger_id=command["trigger_id"],
            view=send_form(messaging.default_platform, command["channel_id"]),
        )
    elif isinstance(parsed, grammar.Send):
        _send(parsed, ack, command, respond, messaging, context)
    else:
        ack()
        context["workers"].submit(look_up, parsed, command, respond, messaging)


def origin_of(command: dict[str, Any], context: BoltContext) -> SlackOrigin:
    return SlackOrigin(
        team_id=command.get("team_id"),
        channel_id=command["channel_id"],
        user_id=command["user_id"],
        request_key=context.get("request_key")
        or f"{command.get('team_id')}:{command['trigger_id']}",
    )


def _send(
    parsed: grammar.Send,
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    messaging: Messaging,
    context: BoltContext,
) -> None:
    try:
        request = messaging.prepare_send(
            origin_of(command, context),
            parsed.platform,
            parsed.client,
            parsed.text,
            validate=parsed.validate,
        )
    except InputError as exc:
        ack(text=str(exc), blocks=blocks.error(str(exc)))
        return
    ack(
        text=f":outbox_tray: Sending to {blocks.escape(request.client_id)} through {blocks.escape(request.ref.label)}…"
    )
    context["workers"].submit(send_and_report, messaging, request, respond)


def send_and_report(messaging: Messaging, request: SendRequest, respond: Respond) -> None:
    problem = deliver(messaging, request)
    if problem:
        respond(text=problem, blocks=blocks.error(problem), response_type="ephemeral")


def deliver(messaging: Messaging, request: SendRequest) -> str | None:
    """Send, and return what the sender must still be told (None: the channel post says it all)."""
    try:
        message = messaging.send(request)
    except HeyNowError as exc:
        return explain(exc, action="send", ref=request.ref, subject=request.client_id)
    except Exception:
        logger.exception("Send of request %s failed", request.origin.request_key)
        return OOPS
    if message is None or message.posted_channel == request.origin.channel_id:
        return None
    ref = f"#{message.id}"
    if message.slack_ts is None:
        return f"Sent ({ref}), but I could not post it here to follow its delivery. Check it with `/heynow status {ref}`."
    return (
        f"Sent ({ref}). I cannot post in this channel, so I follow the delivery in our direct messages. "
        "Invite me here (`/invite @Hey Now`) to follow messages in the channel."
    )


def look_up(
    parsed: grammar.Lookup, command: dict[str, Any], respond: Respond, messaging: Messaging
) -> None:
    """status, history, contact and agenda: read-only, answered only to the caller."""
    team, user = command.get("team_id"), command["user_id"]
    action, subject, platform = _describe(parsed)
    try:
        if isinstance(parsed, grammar.History):
            body = blocks.history(messaging.history(team, user))
        elif isinstance(parsed, grammar.Status):
            body = blocks.status_report(messaging.status(team, parsed.platform, parsed.message_id))
        elif isinstance(parsed, grammar.ContactLookup):
            contact, ref = messaging.contact(parsed.platform, parsed.client)
            body = blocks.contact_card(contact, ref)
        else:
            body = blocks.agenda_page(messaging.agenda(parsed.platform, parsed.query))
    except InputError as exc:
        body = blocks.error(str(exc))
    except HeyNowError as exc:
        where = _safe_platform(messaging, platform)
        body = blocks.error(explain(exc, action=action, ref=where, subject=subject))
    except Exception:
        logger.exception("/heynow %s failed", action)
        body = blocks.error(OOPS)
    respond(text=_plain(body), blocks=body, response_type="ephemeral")


def _describe(parsed: grammar.Lookup) -> tuple[str, str, str | None]:
    if isinstance(parsed, grammar.Status):
        return "status", parsed.message_id, parsed.platform
    if isinstance(parsed, grammar.ContactLookup):
        return "contact", parsed.client, parsed.platform
    if isinstance(parsed, grammar.AgendaSearch):
        return "agenda", parsed.query, parsed.platform
    return "history", "", None


def _safe_platform(messaging: Messaging, typed: str | None) -> PlatformRef | None:
    try:
        return messaging.platform(typed)
    except InputError:
        return None


def _plain(body: list[dict[str, Any]]) -> str:
    """The notification text of a blocks answer: its first section."""
    for block in body:
        if block.get("type") == "section":
            return block["text"]["text"][:300]
    return "Hey Now"
