"""`/heynow history` (`historial`), and `/heynow status` alone: recent messages and their status.

Who may see what is decided before the ack, so a refusal is the ack itself. The newest
messages are read after it, on the lookup pool, and answered only to the person who asked;
the file (`--csv`) is owed to the outbox before the ack, which says it is on its way.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, Respond
from slack_bolt.context import BoltContext

from bot.domain.history import HistoryQuery
from bot.i18n import say
from bot.services.history import MessageHistory
from bot.services.inputs import InputError
from bot.slack import render
from bot.slack.explain import oops
from bot.slack.history_blocks import history_blocks
from handlers.commands import grammar
from storage import StorageUnavailable

logger = logging.getLogger(__name__)


def answer_history(
    parsed: grammar.History,
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    history: MessageHistory = context["history"]
    try:
        query = history.ask(
            command["user_id"],
            command.get("team_id"),
            days=parsed.days,
            user=parsed.user,
            client=parsed.client,
        )
    except InputError as exc:
        ack(text=str(exc), blocks=render.error(str(exc)))
        return
    if parsed.csv:
        owe_file(history, query, ack, command, context)
        return
    ack()
    context["lookup_pool"].submit(show, history, query, respond, context["mass_labels"])


def owe_file(
    history: MessageHistory,
    query: HistoryQuery,
    ack: Ack,
    command: dict[str, Any],
    context: BoltContext,
) -> None:
    key = context.get("request_key") or f"{command.get('team_id')}:{command['trigger_id']}"
    try:
        history.owe_file(query, key, context["texts"])
    except StorageUnavailable:
        said = say("history.csv.storage_down")
        ack(text=said, blocks=render.error(said))
        return
    ack(text=say("history.csv.coming"))


def show(
    history: MessageHistory, query: HistoryQuery, respond: Respond, labels: dict[str, str]
) -> None:
    try:
        body = history_blocks(history.page(query), labels)
    except Exception:
        logger.exception("/heynow history failed")
        body = render.error(oops())
    respond(text=render.plain(body), blocks=body, response_type="ephemeral")
