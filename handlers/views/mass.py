"""The mass-send forms' submissions: the request (checked whole, problems under their fields),
a rejection's reason, and a test's number.

A request is stored only when all of it is valid; a double submit of the same form is one
request (the key is the view, its hash and a digest of the values, as for the send form).
"""

from __future__ import annotations

import logging
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from urllib.parse import urlparse

import httpx
from slack_bolt import Ack, App, BoltContext

from bot.domain.owed import direct_message
from bot.heynow import Channel, HeyNowError
from bot.i18n import say, speaking
from bot.mrkdwn import as_plain, escape
from bot.services.inputs import SlackOrigin
from bot.services.mass import MassSends, Verdict
from bot.services.mass_intake import MassForm, Problem, check_request
from bot.services.recipients import MAX_FILE_BYTES, ClientIds
from bot.slack import mass_blocks
from bot.slack.explain import explain, not_a_sender, storage_down
from bot.slack.mass_form import MASS_FORM_ID, field_errors
from handlers.actions.mass import verdict_words
from handlers.views.values import digest, origin_channel, text_of
from storage import StorageUnavailable

logger = logging.getLogger(__name__)

NAMES_WAIT_SECONDS = 1.2  # the agenda's first names, if Hey Now gives them in time for the ack
DOWNLOAD_SECONDS = 1.5


def register(app: App) -> None:
    app.view(MASS_FORM_ID)(submit_mass_form)
    app.view(mass_blocks.REJECT_FORM_ID)(submit_rejection)
    app.view(mass_blocks.TEST_FORM_ID)(submit_test)


def submit_mass_form(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    with speaking(context["texts"]):
        ack(**take_mass_form(body, view, context))


def take_mass_form(
    body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> dict[str, Any]:
    sends: MassSends = context["mass"]
    user = body["user"]["id"]
    values = (view.get("state") or {}).get("values") or {}
    channel = origin_channel(view.get("private_metadata"))
    if channel is None:
        return _errors({"text": say("answer.form_out_of_date")})
    if not context["permissions"].may_send(user):
        return _errors({"text": as_plain(not_a_sender(context["permissions"]), 150)})
    form, problem = _form(values, context)
    if problem is not None:
        return _errors(field_errors([problem]))
    checked = check_request(
        form,
        region=context["inputs"].default_region,
        max_recipients=context["mass_max_recipients"],
        opted_out=context["mass_views"].opted_out(form.ref.channel) if form.ref else set(),
        known_names=_first_names(form, context),
        now=sends.clock(),
    )
    if isinstance(checked, list):
        return _errors(field_errors(checked))
    team = (body.get("team") or {}).get("id")
    origin = SlackOrigin(
        team_id=team,
        channel_id=channel or user,
        user_id=user,
        request_key=f"mass:{team}:{view.get('id')}:{view.get('hash')}:{digest(values)}",
    )
    try:
        sends.submit(checked, origin, context["texts"])
    except StorageUnavailable:
        return _errors({"text": as_plain(storage_down(), 150)})
    return {}


def _form(values: dict[str, Any], context: BoltContext) -> tuple[MassForm, Problem | None]:
    chosen = text_of(values, "platform")
    allowed = {str(p.ref): p.ref for p in context["mass_platforms"]}
    ref = allowed.get(chosen)
    file_field = (values.get("file") or {}).get("value") or {}
    files = file_field.get("files") or []
    downloaded, problem = _download(files[0], context) if files else (None, None)
    stamp = ((values.get("not_before") or {}).get("value") or {}).get("selected_date_time")
    form = MassForm(
        ref=ref,
        pasted=text_of(values, "recipients"),
        file=downloaded,
        text=str(((values.get("text") or {}).get("value") or {}).get("value") or ""),
        not_before=float(stamp) if isinstance(stamp, int | float) else None,
    )
    return form, problem


def _download(
    file: dict[str, Any], context: BoltContext
) -> tuple[tuple[str, bytes] | None, Problem | None]:
    """The uploaded file's bytes, with the bot token (scope files:read), at most the limit."""
    url = file.get("url_private_download") or file.get("url_private")
    name = str(file.get("name") or "file")
    token = context.client.token if context.client else None
    if not isinstance(url, str) or not token:
        return None, Problem("file", "file.download_failed")
    try:
        with httpx.stream(
            "GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=DOWNLOAD_SECONDS
        ) as answer:
            if answer.status_code != 200:
                logger.warning("Downloading an uploaded file answered %s", answer.status_code)
                return None, Problem("file", "file.download_failed")
            data = bytearray()
            for chunk in answer.iter_bytes():
                data += chunk
                if len(data) > MAX_FILE_BYTES:
                    return None, Problem(
                        "file", "file.file_too_big", {"size": len(data), "limit": MAX_FILE_BYTES}
                    )
    except httpx.HTTPError as exc:
        logger.warning("Downloading an uploaded file failed: %s", type(exc).__name__)
        return None, Problem("file", "file.download_failed")
    return (name, bytes(data)), None


def _slack_file_host(url: str, context: BoltContext) -> bool:
    parsed, api = urlparse(url), urlparse(context["slack_api_url"])
    if parsed.scheme == "https" and parsed.hostname == "files.slack.com":
        return True
    return (parsed.scheme, parsed.netloc) == (api.scheme, api.netloc)


def _first_names(form: MassForm, context: BoltContext) -> dict[str, str] | None:
    """First names from the platform's agenda, for a text that uses {first_name}; the file's
    own column wins. Only what Hey Now gives in time for the ack (the agenda is cached for
    the next try)."""
    if form.ref is None or "first_name" not in form.text.lower():
        return None
    ref = form.ref
    future = context["lookup_pool"].submit(context["contacts"].agenda, ref, lambda c: c.client_id)
    try:
        contacts = future.result(timeout=NAMES_WAIT_SECONDS)
    except (FutureTimeout, HeyNowError):
        return None
    if not contacts:
        return None
    return {c.client_id: c.name.split()[0] for c in contacts if c.name and c.name.split()}


def submit_rejection(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    with speaking(context["texts"]):
        request_id = mass_blocks.request_of(view.get("private_metadata"))
        reason = text_of((view.get("state") or {}).get("values") or {}, "reason")
        if request_id is None:
            ack(**_errors({"reason": say("answer.form_out_of_date")}))
            return
        decided = context["mass"].reject(request_id, body["user"]["id"], reason)
        if decided.verdict != "done":
            ack(**_errors({"reason": as_plain(verdict_words(decided, "reject"), 150)}))
            return
        ack()
        context["home"].redraw(body["user"]["id"], "decided")  # if they look at their Home


def submit_test(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    """Check the number before the ack; send after it, and say how it went in a DM."""
    with speaking(context["texts"]):
        sends: MassSends = context["mass"]
        request_id = mass_blocks.request_of(view.get("private_metadata"))
        request = sends.get(request_id)
        if request is None:
            ack(**_errors({"client": say("answer.form_out_of_date")}))
            return
        typed = text_of((view.get("state") or {}).get("values") or {}, "client")
        client_id = ClientIds(Channel(request.channel_id), context["inputs"].default_region)(typed)
        if client_id is None:
            ack(**_errors({"client": say("mass.test.bad_number", typed=typed[:40])}))
            return
        ack()
        user = body["user"]["id"]
        context["lookup_pool"].submit(
            _send_test, sends, request.id, user, client_id, view.get("id")
        )


def _send_test(sends: MassSends, request_id: int, user: str, client_id: str, view_id: Any) -> None:
    request = sends.get(request_id)
    try:
        sent = sends.send_test(request_id, user, client_id)
        if isinstance(sent, Verdict):
            text = say(f"mass.verdict.{sent}")
        else:
            text = say("mass.verdict.done.test", client=escape(client_id), hey_id=escape(sent))
    except HeyNowError as exc:
        ref = request.ref if request else None
        text = explain(exc, action="send", ref=ref, subject=client_id, validated=False)
    sends.store.outbox.owe(
        direct_message(f"q{request_id}:test:{view_id}", user, sends.clock(), None, text=text)
    )


def _errors(errors: dict[str, str]) -> dict[str, Any]:
    return {"response_action": "errors", "errors": errors}
