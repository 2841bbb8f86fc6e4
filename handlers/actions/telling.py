"""How a person who clicked a button is told what came of it: privately under the message they
clicked, or, from the Home tab (no response_url, no channel to be ephemeral in), in their DM."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.slack import render
from handlers.shortcuts import tell_privately


def from_home(body: dict[str, Any]) -> bool:
    """A click on a button of the Home tab (a view), not of a message."""
    return (body.get("view") or {}).get("type") == "home"


def teller(
    body: dict[str, Any], respond: Respond, client: WebClient, *, warning: bool = False
) -> Callable[[str], None]:
    """How the clicker is told: privately under the message they clicked; from the Home tab,
    which has no response_url (nor a channel to be ephemeral in), in their DM with the app."""
    if body.get("response_url"):

        def beside_the_message(text: str) -> None:
            respond(
                text=text,
                blocks=_blocks(text, warning),
                response_type="ephemeral",
                replace_original=False,
            )

        return beside_the_message
    in_the_dm = tell_privately(client, body)
    return lambda text: in_the_dm(text=text, blocks=_blocks(text, warning))


def _blocks(text: str, warning: bool) -> list[Any]:
    return render.error(text) if warning else [render.section(text)]
