"""The buttons of a mass send's approval post. Each click is one guarded decision in the store:
a double click, two approvers at once or an old post's button decide nothing twice; whoever
may not click it is told why, privately, and nothing changes."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.heynow import Channel
from bot.i18n import say, speaking
from bot.services.mass import Decided, MassSends, Verdict
from bot.slack import mass_blocks
from bot.slack.explain import form_unavailable, out_of_date
from handlers.actions.telling import from_home, teller

logger = logging.getLogger(__name__)

DECISIONS = ("approve", "pause", "resume", "cancel", "retry")


def register(app: App) -> None:
    app.action(re.compile(rf"^mass_({'|'.join(DECISIONS)})$"))(decide)
    app.action("mass_reject")(ask_why)
    app.action("mass_test")(ask_where)


def decide(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    ack()
    with speaking(context["texts"]):
        tell = teller(body, respond, client)
        request_id = mass_blocks.request_of(action.get("value"))
        if request_id is None:
            tell(out_of_date())
            return
        what = str(action["action_id"]).removeprefix("mass_")
        sends: MassSends = context["mass"]
        user = body["user"]["id"]
        decided = {
            "approve": sends.approve,
            "pause": sends.pause,
            "resume": sends.resume,
            "cancel": sends.cancel,
            "retry": sends.retry_failed,
        }[what](request_id, user)
        redrawn = context["home"].redraw(user, "decided")
        if decided.verdict is Verdict.DONE and redrawn and from_home(body):
            return  # their Home, redrawn, shows what the click did
        tell(verdict_words(decided, what))


def ask_why(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """Reject asks for a reason first; only an approver gets the form."""
    ack()
    with speaking(context["texts"]):
        _ask(action, body, client, respond, context, "reject")


def ask_where(
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """A test goes to a number the clicker types: its requester or an approver."""
    ack()
    with speaking(context["texts"]):
        _ask(action, body, client, respond, context, "test")


def _ask(
    action: dict[str, Any],
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    what: str,
) -> None:
    """The form a button asks with, to whoever may answer it; anyone else is told why not."""
    sends: MassSends = context["mass"]
    tell = teller(body, respond, client)
    request = sends.get(mass_blocks.request_of(action.get("value")))
    if request is None:
        tell(out_of_date())
        return
    user = body["user"]["id"]
    if what == "reject" and not sends.permissions.may_approve(user):
        tell(verdict_words(Decided(Verdict.NOT_APPROVER, request), what))
        return
    if what == "test" and not sends.may_follow(request, user):
        tell(verdict_words(Decided(Verdict.NOT_ALLOWED, request), what))
        return
    form = (
        mass_blocks.reject_form(request.id)
        if what == "reject"
        else mass_blocks.test_form(request.id, Channel(request.channel_id))
    )
    _open(client, tell, body["trigger_id"], form)


def verdict_words(decided: Decided, what: str) -> str:
    """What the clicker is told: done, or why nothing changed."""
    request = decided.request
    if decided.verdict is Verdict.TOO_LATE and request is not None:
        return say(
            "mass.verdict.too_late",
            id=request.id,
            state=say(f"mass.state.{request.state}"),
        )
    if decided.verdict is Verdict.DONE:
        return say(f"mass.verdict.done.{what}", id=request.id if request else "")
    return say(f"mass.verdict.{decided.verdict}")


def _open(
    client: WebClient, tell: Callable[[str], None], trigger: str, view: dict[str, Any]
) -> None:
    try:
        client.views_open(trigger_id=trigger, view=view)
    except SlackApiError as exc:
        logger.warning("views.open failed: %s", exc.response.get("error"))
        tell(form_unavailable())
