"""`/heynow mass` (`masivo`) and `/heynow optout` (`baja`): the form, the lists, the history.

The form opens at once (its trigger lives 3 s); the lists are read after the ack, on the
lookup pool, and answered only to the person who asked.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Respond
from slack_bolt.context import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.mass import MassRequest
from bot.heynow import Channel
from bot.i18n import say
from bot.services.inputs import InputError, Inputs
from bot.services.mass import MassSends, MassViews, Verdict
from bot.services.recipients import ClientIds, parse_pasted
from bot.slack import mass_blocks, render
from bot.slack.explain import form_unavailable, not_a_sender
from bot.slack.mass_form import mass_form
from handlers.commands import grammar

logger = logging.getLogger(__name__)


def open_mass_form(
    client: WebClient, respond: Respond, trigger_id: str, context: BoltContext, channel: str
) -> None:
    """The form, for someone who may send, where mass sends are set up."""
    sends: MassSends = context["mass"]
    user = context.user_id or ""
    if not sends.available:
        _answer(respond, render.error(say("mass.unavailable")))
        return
    if not context["permissions"].may_send(user):
        _answer(respond, render.error(not_a_sender(context["permissions"])))
        return
    platforms = tuple(p for p in context["mass_platforms"])
    try:
        client.views_open(trigger_id=trigger_id, view=mass_form(platforms, channel))
    except SlackApiError as exc:
        logger.warning("views.open of the mass form failed: %s", exc.response.get("error"))
        _answer(respond, render.error(form_unavailable()))


def answer_mass(
    parsed: grammar.Mass, command: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """The list, one request's history, or the opt-out list (run on the lookup pool)."""
    views: MassViews = context["mass_views"]
    user = command["user_id"]
    try:
        if isinstance(parsed, grammar.MassList):
            body = mass_blocks.listing(views.listing(user), context["mass_labels"])
        elif isinstance(parsed, grammar.MassShow):
            body = _shown(views, parsed.request_id, user, context)
        elif isinstance(parsed, grammar.OptOut):
            body = _opt_out(views, parsed, user, context["inputs"])
        else:
            return
    except InputError as exc:
        body = render.error(str(exc))
    _answer(respond, body)


def _shown(views: MassViews, request_id: int, user: str, context: BoltContext) -> list[Any]:
    found = views.shown(request_id, user)
    if found is Verdict.NOT_FOUND:
        return render.error(say("mass.unknown_request", id=request_id))
    if not isinstance(found, MassRequest):
        return render.error(say("mass.not_yours", id=request_id))
    progress, events = views.history(found)
    return mass_blocks.shown(found, progress, events, context["mass_rate"], context["mass_labels"])


def _opt_out(views: MassViews, parsed: grammar.OptOut, user: str, inputs: Inputs) -> list[Any]:
    """Who asked not to be messaged is the team's to keep: its senders read and add to the
    list; approvers (where there are) take numbers off it."""
    if not views.sends.permissions.may_send(user):
        return render.error(not_a_sender(views.sends.permissions))
    channel = inputs.platform(parsed.platform).channel
    if parsed.verb == "list":
        return mass_blocks.opt_out_list(sorted(views.opted_out(channel)))
    if parsed.verb == "remove" and not views.may_opt_in(user):
        return render.error(say("mass.optout.not_allowed"))
    found, invalid = _numbers(parsed.clients, channel, inputs.default_region)
    if parsed.verb == "add":
        changed = views.opt_out(channel, found, user)
    else:
        changed = views.opt_in(channel, found)
    return mass_blocks.opt_out_answer(parsed.verb, changed, len(found), invalid)


def _numbers(typed: str, channel: Channel, region: str) -> tuple[list[str], list[str]]:
    """The numbers typed, as Hey Now ids (spaced, separated as in the mass form), and what
    is no number."""
    ids = ClientIds(channel, region)
    found, invalid = [], []
    for entry in parse_pasted(typed, ids):
        client_id = ids(entry.typed)
        if client_id is None:
            invalid.append(entry.typed)
        elif client_id not in found:
            found.append(client_id)
    return found, invalid


def _answer(respond: Respond, body: list[Any]) -> None:
    respond(text=render.plain(body), blocks=body, response_type="ephemeral")
