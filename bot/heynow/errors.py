"""Errors raised by the Hey Now client.

    HeyNowError
    ├── HeyNowTransportError      no HTTP answer at all
    │   ├── HeyNowTimeout         Hey Now too slow
    │   └── HeyNowUnreachable     connection refused, DNS, TLS
    ├── HeyNowHTTPError           an HTTP answer with an error status
    │   ├── InvalidCredentials    401 on login (and 401 again right after a fresh login)
    │   ├── PermissionDenied      403: the platform is not ours, or mass sends are not allowed
    │   ├── NotFound              404: client not in the agenda, or message unknown
    │   ├── BadRequest            any other 4xx
    │   └── ServerError           5xx
    ├── ProtocolError             an answer that is not the API's: a 3xx, or a body of the wrong
    │                             shape (a maintenance page, truncated JSON, an id or token that
    │                             does not look like one)
    └── DeliveryUnknown           a send left but its answer was lost or unreadable: it may have
                                  gone out (raised from the ProtocolError, timeout or 5xx behind it)

Callers show `user_message()` to people, in the language being spoken (bot.i18n); it never
holds a secret.
"""

from __future__ import annotations

from bot.i18n import say


class HeyNowError(Exception):
    """Base of every Hey Now failure."""

    message_key = "heynow.error.failed"  # the catalogue key of what people read

    def user_message(self) -> str:
        """What went wrong, in plain words and the language being spoken (said when called,
        never at import)."""
        return say(self.message_key)


class HeyNowTransportError(HeyNowError):
    """No usable HTTP answer came back."""


class HeyNowTimeout(HeyNowTransportError):
    """Hey Now did not answer within the time-out."""

    message_key = "heynow.error.timeout"


class HeyNowUnreachable(HeyNowTransportError):
    """The connection to Hey Now could not be made."""

    message_key = "heynow.error.unreachable"


class HeyNowHTTPError(HeyNowError):
    """Hey Now answered with an error status; `detail` is the body it answered, as sent."""

    message_key = "heynow.error.http"

    def __init__(self, status_code: int, detail: str = "") -> None:
        super().__init__(
            f"Hey Now answered {status_code}" + (f": {detail[:200]}" if detail else "")
        )
        self.status_code = status_code
        self.detail = detail


class InvalidCredentials(HeyNowHTTPError):
    """The Hey Now user name or password was refused."""

    message_key = "heynow.error.credentials"


class PermissionDenied(HeyNowHTTPError):
    """403: the platform does not belong to the configured Hey Now user."""

    message_key = "heynow.error.denied"


class NotFound(HeyNowHTTPError):
    """404: the client is not in the platform's agenda, or the message is unknown."""

    message_key = "heynow.error.not_found"


class BadRequest(HeyNowHTTPError):
    """Any 4xx other than 401/403/404: Hey Now did not accept the request as sent."""

    message_key = "heynow.error.bad_request"


class ServerError(HeyNowHTTPError):
    """5xx: Hey Now failed on its side."""

    message_key = "heynow.error.server"


class ProtocolError(HeyNowError):
    """Hey Now answered, but not as its API does (a redirect, an HTML page, a body of bad shape)."""

    message_key = "heynow.error.protocol"


class DeliveryUnknown(HeyNowError):
    """A send whose answer was lost or unreadable: it may or may not have reached the client."""

    message_key = "heynow.error.delivery_unknown"


def error_for_status(status_code: int, detail: str) -> HeyNowHTTPError:
    """Map an HTTP error status to its exception (one place, as stripe-python does)."""
    kinds: dict[int, type[HeyNowHTTPError]] = {
        401: InvalidCredentials,
        403: PermissionDenied,
        404: NotFound,
    }
    if status_code >= 500:
        return ServerError(status_code, detail)
    return kinds.get(status_code, BadRequest)(status_code, detail)
