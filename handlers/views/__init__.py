"""The send form's submission: field errors shown in the form, the send recorded before the ack.

A double click submits the same view twice with the same values (and two trigger ids): the
request key is the view, its hash and a digest of the values, so the second is a no-op. A form
corrected after a field error has other values, and so is a new request.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.i18n import say, speaking
from bot.mrkdwn import as_plain
from bot.services.inputs import InputError, Inputs, SlackOrigin
from bot.services.sending import Sending
from bot.slack.explain import not_a_sender
from bot.slack.forms import SEND_FORM_ID
from handlers.views import mass
from handlers.views.values import digest, origin_channel, text_of
from storage import StorageUnavailable

logger = logging.getLogger(__name__)

FIELD_ERROR_LIMIT = 150  # what Slack shows under a field


def register(app: App) -> None:
    app.view(SEND_FORM_ID)(submit_send_form)
    mass.register(app)


def submit_send_form(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """Field errors in the language of the person who filled in the form."""
    with speaking(context["texts"]):
        take_send_form(ack, body, view, context)


def take_send_form(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    inputs: Inputs = context["inputs"]
    sending: Sending = context["sending"]
    values = (view.get("state") or {}).get("values") or {}
    user = body["user"]["id"]
    channel = origin_channel(view.get("private_metadata"))
    if channel is None:
        logger.warning("A send form came back with private_metadata the app never wrote")
        ack(response_action="errors", errors={"text": say("answer.form_out_of_date")})
        return
    if not context["permissions"].may_send(user):
        ack(
            response_action="errors",
            errors={"text": as_plain(not_a_sender(context["permissions"]), FIELD_ERROR_LIMIT)},
        )
        return
    team = (body.get("team") or {}).get("id")
    origin = SlackOrigin(
        team_id=team,
        channel_id=channel or user,
        user_id=user,
        request_key=f"view:{team}:{view.get('id')}:{view.get('hash')}:{digest(values)}",
    )
    options = values.get("options", {}).get("value", {}).get("selected_options") or []
    try:
        request = inputs.send_request(
            origin,
            text_of(values, "platform") or None,
            text_of(values, "client"),
            text_of(values, "text"),
            validate=not any(o.get("value") == "no-validate" for o in options),
        )
        sending.enqueue(request, context["texts"])
    except InputError as exc:
        ack(
            response_action="errors",
            errors={exc.field or "text": as_plain(str(exc), FIELD_ERROR_LIMIT)},
        )
        return
    except StorageUnavailable:
        ack(response_action="errors", errors={"text": say("answer.form_storage_down")})
        return
    ack()
