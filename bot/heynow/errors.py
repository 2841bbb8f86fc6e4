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

Callers show `user_message` to people; it never holds a secret.
"""

from __future__ import annotations


class HeyNowError(Exception):
    """Base of every Hey Now failure."""

    user_message = "Hey Now failed."


class HeyNowTransportError(HeyNowError):
    """No usable HTTP answer came back."""


class HeyNowTimeout(HeyNowTransportError):
    """Hey Now did not answer within the time-out."""

    user_message = "Hey Now is not answering right now (it timed out). Try again in a minute."


class HeyNowUnreachable(HeyNowTransportError):
    """The connection to Hey Now could not be made."""

    user_message = "Hey Now cannot be reached right now. Try again in a few minutes."


class HeyNowHTTPError(HeyNowError):
    """Hey Now answered with an error status."""

    def __init__(self, status_code: int, detail: str = "") -> None:
        super().__init__(f"Hey Now answered {status_code}: {detail[:200]}")
        self.status_code = status_code
        self.detail = detail


class InvalidCredentials(HeyNowHTTPError):
    """The Hey Now user name or password was refused."""

    user_message = (
        "Hey Now refused the app's credentials. An admin must check HEYNOW_USER and "
        "HEYNOW_PASSWORD."
    )


class PermissionDenied(HeyNowHTTPError):
    """403: the platform does not belong to the configured Hey Now user."""

    user_message = "That platform does not belong to this Hey Now account."


class NotFound(HeyNowHTTPError):
    """404: the client is not in the platform's agenda, or the message is unknown."""

    user_message = "Hey Now does not know it."


class BadRequest(HeyNowHTTPError):
    """Any 4xx other than 401/403/404: Hey Now did not accept the request as sent."""

    user_message = "Hey Now did not accept the request."


class ServerError(HeyNowHTTPError):
    """5xx: Hey Now failed on its side."""

    user_message = "Hey Now had an internal error. Try again in a minute."


class ProtocolError(HeyNowError):
    """Hey Now answered, but not as its API does (a redirect, an HTML page, a body of bad shape)."""

    user_message = (
        "Hey Now answered with something that is not what its API returns (perhaps a maintenance "
        "page). Try again in a few minutes; tell an admin if it lasts."
    )


class DeliveryUnknown(HeyNowError):
    """A send whose answer was lost or unreadable: it may or may not have reached the client."""

    user_message = (
        "Hey Now did not confirm the send, so it may or may not have gone out. "
        "It is recorded as *unknown*; check with the client before sending it again."
    )


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
