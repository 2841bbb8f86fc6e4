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
from bot.services.permissions import Permissions
from bot.slack.render import escape

OOPS = (
    "Something went wrong on our side and the request was not completed. Try again; if it "
    "keeps happening, tell an admin (the details are in the app's log)."
)
STORAGE_DOWN = (
    "The app cannot record requests right now (its database is failing), so nothing was "
    "sent. Try again in a few minutes, and tell an admin."
)
FORM_UNAVAILABLE = (
    "Slack would not open the form just now. Try again, or type the message directly: "
    "`/heynow send CLIENT TEXT`."
)
OUT_OF_DATE = "This button is out of date. Run the command again to get a fresh one."


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
    the agenda, so that one sent without the check is not told to send without it.
    """
    where = escape(ref.label) if ref else "that platform"
    who = escape(subject)
    sending = action == "send"
    if isinstance(error, NotFound):
        return _not_found(action, who, where, validated)
    if isinstance(error, PermissionDenied):
        return (
            f"{where} does not belong to this app's Hey Now account. "
            + _DENIED_ADVICE[platform_typed]
        )
    if isinstance(error, DeliveryUnknown):
        return error.user_message
    nothing_sent = " Nothing was sent." if sending else ""
    if isinstance(error, HeyNowHTTPError) and error.status_code < 500 and error.status_code != 401:
        return (
            f"Hey Now did not accept the request (it answered {error.status_code}).{nothing_sent}"
        )
    return error.user_message + nothing_sent


_DENIED_ADVICE = {
    True: "Use one of the account's platforms (an admin knows which).",
    False: (
        "It is the app's default platform: name one of the account's platforms as "
        "CHANNEL:PLATFORM (an admin knows which), and ask an admin to fix HEYNOW_DEFAULT_PLATFORM."
    ),
    None: (
        "Use one of the account's platforms (an admin knows which). If it is the app's default "
        "platform, ask an admin to fix HEYNOW_DEFAULT_PLATFORM."
    ),
}


def _not_found(action: str, who: str, where: str, validated: bool) -> str:
    if action == "send" and not validated:
        return (
            f"Not sent: {who} is not in the agenda of {where} (they never wrote to it), and that "
            "platform does not write to clients outside it, even without the agenda check "
            "(`--no-validate`). Check the number with `/heynow contact`, or send from another "
            "platform."
        )
    if action == "send":
        return (
            f"Not sent: {who} is not in the agenda of {where} (they never wrote to it). "
            "Check the number with `/heynow contact`; if the platform may write to new clients, "
            "send again with `--no-validate`."
        )
    if action == "status":
        return f"Hey Now knows no message `{who}` on {where}. Check the id, or the platform it was sent from."
    if action == "contact":
        return f"{who} is not in the agenda of {where}: they never wrote to it. `/heynow agenda` lists who did."
    return f"Hey Now knows no platform {where}."


def revive(name: str | None, status_code: int | None) -> HeyNowError:
    """The Hey Now error a sender's note was written for, rebuilt from its stored name."""
    kind = getattr(heynow_errors, name or "", None)
    if isinstance(kind, type) and issubclass(kind, HeyNowHTTPError):
        return kind(status_code or 0, "")
    if isinstance(kind, type) and issubclass(kind, HeyNowError):
        return kind()
    return HeyNowError()


def sender_note(notice: SenderNotice, message: Message, payload: dict[str, Any]) -> str:
    """What the sender is told privately about their send, after the ack."""
    ref = f"#{message.id}"
    who = escape(message.client_name or message.client_id)
    if notice is SenderNotice.REJECTED:
        error = revive(payload.get("error"), payload.get("status_code"))
        return explain(
            error,
            action="send",
            ref=platform_of(message),
            subject=message.client_id,
            validated=bool(message.validate),
        )
    if notice is SenderNotice.UNKNOWN:
        return f"{DeliveryUnknown.user_message} ({ref} to {who})"
    if notice is SenderNotice.INTERRUPTED:
        return (
            f"The app lost track of your message {ref} to {who} while Hey Now was answering (it "
            "stopped, or could not record the answer), so it may or may not have gone out. It is "
            "recorded as *unknown*; check with the client before sending it again."
        )
    if notice is SenderNotice.EXPIRED:
        return (
            f"Your message {ref} to {who} was *not sent*: the app stopped before it could send "
            "it, and it is too old to send now. Send it again if it is still needed."
        )
    if notice is SenderNotice.LATE_SENT:
        return (
            f"Correction: your message {ref} to {who} *did reach Hey Now*; its answer came late. "
            "Do not send it again: its delivery is followed as usual."
        )
    if notice is SenderNotice.POSTED_ELSEWHERE:
        return (
            f"Sent ({ref}). I cannot post in this channel, so I follow the delivery in our direct "
            "messages. Invite me here (`/invite @Hey Now`) to follow messages in the channel."
        )
    return (
        f"Sent ({ref}) to {who}, but I could not post it in <#{message.slack_channel}> to follow "
        f"its delivery (Slack kept failing). `/heynow status {ref}` shows where it is."
    )


def unrecorded_note(message: Message, state: str, hey_id: str | None) -> str:
    """The database failed after Hey Now answered: say what really happened."""
    who = escape(message.client_name or message.client_id)
    if hey_id:
        return (
            f"Your message to {who} *reached Hey Now* (idMessageHey `{escape(hey_id)}`), but the "
            "app could not record it just now (its database is failing). Do not send it again. "
            "If the database recovers within a minute, its channel post and delivery updates "
            "follow as usual; otherwise tell an admin."
        )
    if state == "unknown":
        return (
            f"Hey Now did not confirm your message to {who}, so it may or may not have gone out, "
            "and the app could not record it (its database is failing). Check with the client "
            "before sending it again, and tell an admin."
        )
    return (
        f"Your message to {who} was *not sent* (Hey Now refused it), and the app could not record "
        "that (its database is failing). Tell an admin."
    )


def not_a_sender(permissions: Permissions) -> str:
    """Told to someone HEYNOW_SENDERS does not name: who may send, and what they can do."""
    who = ", ".join(
        f"<!subteam^{s}>" if s.startswith("S") else f"<@{s}>" for s in permissions.senders
    )
    return (
        f"Only {who} may send messages through Hey Now here. You can still use "
        "`/heynow contact`, `/heynow agenda` and `/heynow help`; ask one of them to send it."
    )
