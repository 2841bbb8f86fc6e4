"""Failures and later news in plain words: what happened, and what to do."""

from __future__ import annotations

from typing import Any

from bot.domain import SenderNotice
from bot.domain.records import Message
from bot.heynow import (
    DeliveryUnknown,
    HeyNowError,
    HeyNowHTTPError,
    NotFound,
    PermissionDenied,
    PlatformRef,
)
from bot.heynow import errors as heynow_errors
from bot.heynow.channels import platform_of
from bot.i18n import current, say
from bot.services.permissions import Permissions
from bot.slack.render import escape

VENDOR_LANGUAGE = "es"  # the language Hey Now's own error texts are in


def oops() -> str:
    return say("explain.oops")


def storage_down() -> str:
    return say("explain.storage_down")


def form_unavailable() -> str:
    return say("explain.form_unavailable")


def out_of_date() -> str:
    return say("explain.out_of_date")


def explain(
    error: HeyNowError,
    *,
    action: str,
    ref: PlatformRef | None = None,
    subject: str = "",
    platform_typed: bool | None = None,
    validated: bool = True,
) -> str:
    """A Hey Now failure in plain words, with what to do; `action` is send, status, contact or agenda.

    The advice fits what was asked: `platform_typed` says whether the person named the platform
    (None: not known, as for a send explained after the ack), so that the default platform's
    setting is blamed only when it was used; `validated` whether a send asked Hey Now to check
    the agenda, so that one sent without the check is not told to send without it. What Hey
    Now said in its answer, if anything, follows in its words (`vendor_note`).
    """
    return " ".join(
        part
        for part in (
            _plain_words(error, action, ref, subject, platform_typed, validated),
            vendor_note(error),
        )
        if part
    )


def _plain_words(
    error: HeyNowError,
    action: str,
    ref: PlatformRef | None,
    subject: str,
    platform_typed: bool | None,
    validated: bool,
) -> str:
    where = escape(ref.label) if ref else say("explain.that_platform")
    who = escape(subject)
    nothing_sent = say("explain.nothing_sent") if action == "send" else ""
    if isinstance(error, NotFound):
        return _not_found(action, who, where, validated)
    if isinstance(error, PermissionDenied):
        denied = say("explain.denied", where=where[:1].upper() + where[1:])
        return f"{denied} {say(_DENIED_ADVICE[platform_typed])}"
    if isinstance(error, DeliveryUnknown):
        return error.user_message()
    if isinstance(error, HeyNowHTTPError) and error.status_code < 500 and error.status_code != 401:
        refused = say("explain.not_accepted", status=error.status_code)
        return f"{refused} {nothing_sent}".strip()
    return f"{error.user_message()} {nothing_sent}".strip()


def vendor_note(error: HeyNowError) -> str:
    """Hey Now's own words in its error answer, quoted and escaped, or nothing. They are in
    Spanish: a Spanish reader reads them as they are; others with what they mean, when they
    are among the phrases Hey Now documents, else marked as untranslated."""
    words = error.vendor_words if isinstance(error, HeyNowHTTPError) else None
    if not words:
        return ""
    shown = escape(words)
    if current().language == VENDOR_LANGUAGE:
        return say("explain.vendor_said", words=shown)
    key = heynow_errors.vendor_phrase(words)
    meaning = say(key) if key else say("explain.vendor_untranslated")
    return say("explain.vendor_said_glossed", words=shown, meaning=meaning)


_DENIED_ADVICE = {  # by platform_typed
    True: "explain.denied_advice_typed",
    False: "explain.denied_advice_default",
    None: "explain.denied_advice_unknown",
}


def _not_found(action: str, who: str, where: str, validated: bool) -> str:
    if action == "send" and not validated:
        return say("explain.not_found_send_unvalidated", who=who, where=where)
    if action == "send":
        return say("explain.not_found_send", who=who, where=where)
    if action == "status":
        return say("explain.not_found_status", who=who, where=where)
    if action == "contact":
        return say("explain.not_found_contact", who=who, where=where)
    return say("explain.not_found_platform", where=where)


def revive(name: str | None, status_code: int | None, words: str | None = None) -> HeyNowError:
    """The Hey Now error a sender's note was written for, rebuilt from its stored name (and
    Hey Now's own words, if it said some: sending.failure_params)."""
    kind = getattr(heynow_errors, name or "", None)
    if isinstance(kind, type) and issubclass(kind, HeyNowHTTPError):
        return kind(status_code or 0, words if isinstance(words, str) else "")
    if isinstance(kind, type) and issubclass(kind, HeyNowError):
        return kind()
    return HeyNowError()


def sender_note(notice: SenderNotice, message: Message, payload: dict[str, Any]) -> str:
    """What the sender is told privately about their send, after the ack."""
    ref = f"#{message.id}"
    who = escape(message.client_name or message.client_id)
    if notice is SenderNotice.REJECTED:
        error = revive(payload.get("error"), payload.get("status_code"), payload.get("words"))
        return explain(
            error,
            action="send",
            ref=platform_of(message),
            subject=message.client_id,
            validated=bool(message.validate),
        )
    if notice is SenderNotice.UNKNOWN:
        unknown = DeliveryUnknown().user_message()
        return say("explain.note_unknown", unknown=unknown, ref=ref, who=who)
    if notice is SenderNotice.INTERRUPTED:
        return say("explain.note_interrupted", ref=ref, who=who)
    if notice is SenderNotice.EXPIRED:
        return say("explain.note_expired", ref=ref, who=who)
    if notice is SenderNotice.LATE_SENT:
        return say("explain.note_late_sent", ref=ref, who=who)
    if notice is SenderNotice.POSTED_ELSEWHERE:
        return say("explain.note_posted_elsewhere", ref=ref)
    channel = f"<#{message.slack_channel}>"
    return say("explain.note_not_posted", ref=ref, who=who, channel=channel)


def unrecorded_note(message: Message, state: str, hey_id: str | None) -> str:
    """The database failed after Hey Now answered: say what really happened."""
    who = escape(message.client_name or message.client_id)
    if hey_id:
        return say("explain.unrecorded_reached", who=who, hey_id=escape(hey_id))
    if state == "unknown":
        return say("explain.unrecorded_unknown", who=who)
    return say("explain.unrecorded_refused", who=who)


def not_a_sender(permissions: Permissions) -> str:
    """Told to someone HEYNOW_SENDERS does not name: who may send, and what they can do."""
    who = ", ".join(
        f"<!subteam^{s}>" if s.startswith("S") else f"<@{s}>" for s in permissions.senders
    )
    return say("explain.not_a_sender", who=who)
