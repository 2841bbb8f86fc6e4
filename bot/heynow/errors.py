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
holds a secret. `HeyNowHTTPError.vendor_words` is what Hey Now itself said in its error body
(its own words, in Spanish), or None; the body of a login answer is never kept (client.login).
"""

from __future__ import annotations

import json
import re
import unicodedata

from bot.i18n import say

VENDOR_WORDS_MAX = 200  # of Hey Now's own words shown: a sentence, never a page
# The fields of a JSON error body that hold Hey Now's words, in the order they are looked for.
_WORD_FIELDS = ("error", "message", "mensaje", "detail", "descripcion", "description")
_MARKUP = re.compile(r"<\s*[!/?a-zA-Z]")  # an HTML/XML tag, doctype or comment
# Hey Now's own error phrases, each with the catalogue key of what it means: those its API
# document lists (sections 6 to 8), and those the simulator answers like it.
VENDOR_PHRASES = {
    "Token no valido o autenticación no realizada": "heynow.vendor.token_invalid",
    "Permisos insuficientes": "heynow.vendor.permissions",
    "Recurso no encontrado": "heynow.vendor.resource_not_found",
    "Mensaje no encontrado": "heynow.vendor.message_not_found",
    "Contacto no encontrado": "heynow.vendor.contact_not_found",
    "Error interno": "heynow.vendor.internal",
    "El clientId no pertenece a la agenda del platformId": "heynow.vendor.not_in_agenda",
    "channelId: valores permitidos 1, 2, 3": "heynow.vendor.channel_values",
    "text requerido": "heynow.vendor.text_required",
    "El canal valida contactos: envíos masivos no permitidos": "heynow.vendor.mass_not_allowed",
    "Credenciales no válidas": "heynow.vendor.credentials",
    "Falla simulada": "heynow.vendor.simulated_fault",
}


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

    @property
    def vendor_words(self) -> str | None:
        """Hey Now's own words in the body, unescaped (the caller escapes them)."""
        return vendor_words(self.detail)


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


def vendor_words(body: str) -> str | None:
    """The words of an error body, if it holds some: a JSON object's `error` (or `message`,
    ...) text, a JSON string, or plain text; never markup (an HTML error page, a proxy's).

    Control characters go, white space is collapsed, and at most VENDOR_WORDS_MAX characters
    are kept (cut at a word, with `…`). Nothing else is done: they are shown escaped.
    """
    text = body.strip()
    if not text:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
        if text[0] in "{[":  # JSON cut short, or of a shape it is not: not words
            return None
    else:
        text = _words_of(parsed) or ""
    if _MARKUP.search(text):
        return None
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if not text:
        return None
    if len(text) > VENDOR_WORDS_MAX:
        cut = text[: VENDOR_WORDS_MAX - 1]
        text = (cut.rsplit(" ", 1)[0] if " " in cut[-40:] else cut) + "…"
    return text


def _words_of(parsed: object) -> str | None:
    if isinstance(parsed, str):
        return parsed
    if isinstance(parsed, dict):
        for field in _WORD_FIELDS:
            value = parsed.get(field)
            if isinstance(value, str) and value.strip():
                return value
            if isinstance(value, dict):  # {"error": {"message": "..."}}
                nested = _words_of(value)
                if nested:
                    return nested
    return None


def vendor_phrase(words: str) -> str | None:
    """The catalogue key of one of Hey Now's known phrases, or None; matched without regard to
    accents, case, spacing or a closing full stop ("Token no válido" is "token no valido")."""
    return _KNOWN.get(_plain(words))


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split()).strip(" .!¡¿?")


_KNOWN = {_plain(phrase): key for phrase, key in VENDOR_PHRASES.items()}
