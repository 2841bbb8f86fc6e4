"""`/heynow`: parse, record what must not be lost, ack within Slack's 3 s; look-ups after.

Answers to the caller are ephemeral; only a send is visible to the channel, and that post (like
everything the app owes Slack after the ack) comes from the outbox.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.heynow import HeyNowError, PlatformRef
from bot.i18n import say, speaking
from bot.services.inputs import InputError, Inputs, SlackOrigin
from bot.services.lookups import Lookups
from bot.services.permissions import Permissions
from bot.services.sending import Sending
from bot.slack import render
from bot.slack.explain import explain, form_unavailable, not_a_sender, oops, storage_down
from bot.slack.forms import Prefill, help_blocks, send_form
from handlers.commands import grammar
from handlers.commands.history import answer_history
from handlers.commands.mass import answer_mass, open_mass_form
from storage import StorageUnavailable

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.command("/heynow")(heynow_command)


def heynow_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """Answer in the language of the person who typed it."""
    with speaking(context["texts"]):
        answer(ack, command, respond, client, context)


def answer(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    inputs: Inputs = context["inputs"]
    try:
        parsed = grammar.parse(command.get("text", ""), client_words=inputs.client_words)
    except grammar.CommandError as exc:
        ack(text=str(exc), blocks=render.error(str(exc)))
        return
    if isinstance(parsed, grammar.Help):
        ack(text=say("answer.help_title"), blocks=help_blocks(inputs.default_platform))
    elif isinstance(parsed, grammar.OpenSendForm | grammar.Send) and not may_send(
        context, command["user_id"]
    ):
        refusal = not_a_sender(context["permissions"])
        ack(text=refusal, blocks=render.error(refusal))
    elif isinstance(parsed, grammar.OpenSendForm):
        ack()
        open_form(client, respond, command["trigger_id"], inputs, command["channel_id"])
    elif isinstance(parsed, grammar.Send):
        send(parsed, ack, command, context)
    elif isinstance(parsed, grammar.OpenMassForm):
        ack()
        open_mass_form(client, respond, command["trigger_id"], context, command["channel_id"])
    elif isinstance(parsed, grammar.History):
        answer_history(parsed, ack, command, respond, context)
    elif isinstance(parsed, grammar.MassList | grammar.MassShow | grammar.OptOut):
        ack()
        context["lookup_pool"].submit(answer_mass, parsed, command, respond, context)
    else:
        ack()
        context["lookup_pool"].submit(look_up, parsed, command, respond, context["lookups"])


def may_send(context: BoltContext, user_id: str) -> bool:
    permissions: Permissions = context["permissions"]
    return permissions.may_send(user_id)


def open_form(
    client: WebClient,
    respond: Respond,
    trigger_id: str,
    inputs: Inputs,
    channel: str,
    prefill: Prefill | None = None,
) -> None:
    """Open the send form; if Slack will not (a trigger past its 3 s, Slack down), say so
    instead of raising after the ack (Bolt would then lose the ack: bolt-python 1.30)."""
    try:
        client.views_open(
            trigger_id=trigger_id,
            view=send_form(inputs.default_platform, channel, inputs.platforms, prefill),
        )
    except SlackApiError as exc:
        logger.warning("views.open failed: %s", exc.response.get("error"))
        said = form_unavailable()
        respond(text=said, blocks=render.error(said), response_type="ephemeral")


def origin_of(command: dict[str, Any]) -> SlackOrigin:
    """Slack's trigger_id is the same in every retry of a command, and new for every command."""
    team = command.get("team_id")
    return SlackOrigin(
        team_id=team,
        channel_id=command["channel_id"],
        user_id=command["user_id"],
        request_key=f"command:{team}:{command['trigger_id']}",
        response_url=command.get("response_url"),
    )


def send(parsed: grammar.Send, ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    """Check, record, ack: the send itself runs on a worker that claims the recorded row."""
    inputs: Inputs = context["inputs"]
    sending: Sending = context["sending"]
    try:
        request = inputs.send_request(
            origin_of(command),
            parsed.platform,
            parsed.client,
            parsed.text,
            validate=parsed.validate,
        )
        sending.enqueue(request, context["texts"])
    except InputError as exc:
        ack(text=str(exc), blocks=render.error(str(exc)))
        return
    except StorageUnavailable:
        ack(text=storage_down(), blocks=render.error(storage_down()))
        return
    to, through = render.escape(request.client_id), render.escape(request.ref.label)
    said = say("answer.sending", client=to, platform=through)
    if request.client_id in context["mass_views"].opted_out(request.ref.channel):
        said += "\n" + say("mass.optout.warning", client=to)
    ack(text=said)


def look_up(
    parsed: grammar.Lookup, command: dict[str, Any], respond: Respond, lookups: Lookups
) -> None:
    """status, contact and agenda: read-only, answered only to the caller."""
    team, user = command.get("team_id"), command["user_id"]
    action, subject, platform = _describe(parsed)
    try:
        if isinstance(parsed, grammar.Status):
            body = render.status_report(
                lookups.status(team, user, parsed.platform, parsed.message_id)
            )
        elif isinstance(parsed, grammar.ContactLookup):
            contact, ref = lookups.contact(parsed.platform, parsed.client)
            body = render.contact_card(contact, ref)
        else:
            body = render.agenda_page(lookups.agenda(parsed.platform, parsed.query))
    except InputError as exc:
        body = render.error(str(exc))
    except HeyNowError as exc:
        where = _safe_platform(lookups.inputs, platform)
        body = render.error(
            explain(
                exc,
                action=action,
                ref=where,
                subject=subject,
                platform_typed=_platform_typed(parsed, platform),
            )
        )
    except Exception:
        logger.exception("/heynow %s failed", action)
        body = render.error(oops())
    respond(text=render.plain(body), blocks=body, response_type="ephemeral")


def _describe(parsed: grammar.Lookup) -> tuple[str, str, str | None]:
    if isinstance(parsed, grammar.Status):
        return "status", parsed.message_id, parsed.platform
    if isinstance(parsed, grammar.ContactLookup):
        return "contact", parsed.client, parsed.platform
    return "agenda", parsed.query, parsed.platform


def _platform_typed(parsed: grammar.Lookup, platform: str | None) -> bool | None:
    """Whether the person named the platform that failed; None when it is not known (a status
    of one of ours, untyped, asks the platform the message went through)."""
    if platform is not None:
        return True
    return None if isinstance(parsed, grammar.Status) else False


def _safe_platform(inputs: Inputs, typed: str | None) -> PlatformRef | None:
    try:
        return inputs.platform(typed)
    except InputError:
        return None
