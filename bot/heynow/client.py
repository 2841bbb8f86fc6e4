"""The Hey Now REST client: login, the two sends, message status, one contact, the agenda."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import httpx
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from bot.heynow import parsing
from bot.heynow.channels import Channel, PlatformRef
from bot.heynow.errors import (
    DeliveryUnknown,
    HeyNowError,
    HeyNowHTTPError,
    HeyNowTimeout,
    HeyNowTransportError,
    HeyNowUnreachable,
    InvalidCredentials,
    ProtocolError,
    ServerError,
    error_for_status,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

TOKEN_LIFETIME_SECONDS = 24 * 3600
# Renew a little early so that a call never starts with a token about to die in flight.
TOKEN_RENEW_MARGIN_SECONDS = 300


class HealthObserver(Protocol):
    """Told of every exchange's outcome (bot.services.health): Hey Now's health is news."""

    def answered(self) -> None: ...

    def failed(self, why: str) -> None: ...

    def refused(self) -> None: ...


class TokenCache(Protocol):
    """Where the bearer token survives restarts (storage.Store implements it)."""

    def load_token(self, account: str) -> tuple[str, float] | None: ...

    def save_token(self, account: str, token: str, expires_at: float) -> None: ...


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact document of the agenda, reduced to what the app shows.

    An agenda holds a Contact per client, so it keeps no raw dicts (the document's `channels`
    only serve to find the client id here) and has slots.
    """

    client_id: str
    name: str | None
    phones: tuple[str, ...] = ()
    locale: str | None = None
    timezone: str | None = None
    gender: str | None = None
    profile_pic: str | None = None
    document_id: str | None = None

    @classmethod
    def from_document(cls, doc: dict[str, Any], ref: PlatformRef | None = None) -> Contact:
        channels = tuple(c for c in doc.get("channels") or () if isinstance(c, dict))
        mine = next(
            (c for c in channels if ref and str(c.get("platformId")) == ref.platform_id),
            channels[0] if channels else {},
        )
        phones = tuple(str(p) for p in doc.get("phones") or () if p)
        client_id = str(mine.get("clientId") or (phones[0] if phones else "") or "")
        names = [str(doc.get(k)).strip() for k in ("first_name", "last_name") if doc.get(k)]
        return cls(
            client_id=client_id,
            name=" ".join(n for n in names if n) or None,
            phones=phones,
            locale=_text(doc.get("locale")),
            timezone=_text(doc.get("timezone")),
            gender=_text(doc.get("gender")),
            profile_pic=_text(doc.get("profile_pic")),
            document_id=_text(doc.get("_id")),
        )


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


class HeyNowClient:
    """One long-lived httpx client per app; thread-safe.

    GETs are idempotent, so they are retried with back-off on 5xx and connection errors. Sends are
    never retried blindly: only a 401 (the request was refused before anything happened) is
    retried, once, after a fresh login.
    """

    def __init__(
        self,
        *,
        base_url: str,
        user: str,
        password: str,
        token_cache: TokenCache | None = None,
        timeout: float = 10.0,
        get_attempts: int = 3,
        backoff_seconds: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._user = user
        self._password = password
        self._account = f"{base_url.rstrip('/')} {user}"
        self._tokens = token_cache
        self._clock = clock
        self._get_attempts = get_attempts
        self._backoff_seconds = backoff_seconds
        self._token: tuple[str, float] | None = None
        self.observer: HealthObserver | None = None  # set by the wiring
        self._depth = threading.local()  # calls within calls (a login within a send)
        self._login_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "heynow-slack"},
        )

    def close(self) -> None:
        self._http.close()

    # -- the six methods ------------------------------------------------------------------

    def login(self) -> str:
        """Log in and keep the token (memory and cache); returns it.

        An answer with no token-shaped token raises ProtocolError and stores nothing.
        """
        with self._watched(login=True):
            response = self._request(
                "POST", "login", json={"name": self._user, "password": self._password}
            )
            if response.status_code == 401:
                self._tell("refused")
                raise InvalidCredentials(401)
            if response.status_code >= 400:  # a login answer's body is never kept: not shown
                raise error_for_status(response.status_code, "")
            self._raise_for_status(response)
            token = parsing.parse_token(response.content)
        expires_at = self._clock() + TOKEN_LIFETIME_SECONDS - TOKEN_RENEW_MARGIN_SECONDS
        self._token = (token, expires_at)
        if self._tokens is not None:
            self._tokens.save_token(self._account, token, expires_at)
        logger.info("Logged in to Hey Now as %s", self._user)
        return token

    def ensure_token(self) -> None:
        """Have a valid token: the cached one, or a fresh login (which raises if refused)."""
        self._current_token()

    def send_message(
        self, ref: PlatformRef, client_id: str, text: str, *, validate: bool = True
    ) -> str:
        """Send one message; returns its idMessageHey (see `_send` for what raises)."""
        path = f"message/{ref.channel.value}/{_seg(ref.platform_id)}/{_seg(client_id)}"
        params = {"contactValidation": "true" if validate else "false"}
        return self._send(path, params=params, text=text)

    def send_mass_message(self, ref: PlatformRef, client_id: str, text: str) -> str:
        """One send of a mass campaign (`masiveMessage`: the misspelling is the real path)."""
        path = f"masiveMessage/{ref.channel.value}/{_seg(ref.platform_id)}/{_seg(client_id)}"
        return self._send(path, params=None, text=text)

    def message_status(self, ref: PlatformRef, message_id: str) -> str:
        """`?`, `RS`, `RU` or `LU`."""
        path = f"message/{ref.channel.value}/{_seg(ref.platform_id)}/{_seg(message_id)}"
        return self._get(path, lambda response: parsing.parse_status(response.read()))

    def contact(self, ref: PlatformRef, client_id: str) -> Contact:
        path = f"contact/{ref.channel.value}/{_seg(ref.platform_id)}/{_seg(client_id)}"
        document = self._get(path, lambda response: parsing.parse_json_object(response.read()))
        return Contact.from_document(document, ref)

    def agenda(self, ref: PlatformRef) -> list[Contact]:
        """The platform's contacts, built one at a time as the body streams in (it may be large)."""
        path = f"contact/{ref.channel.value}/{_seg(ref.platform_id)}"

        def read(response: httpx.Response) -> list[Contact]:
            documents = parsing.iter_agenda(response.iter_bytes())
            return [Contact.from_document(doc, ref) for doc in documents]

        return self._get(path, read)

    def agenda_batches(
        self, ref: PlatformRef, each: Callable[[list[Contact]], None], size: int = 500
    ) -> int:
        """Hand the agenda to `each` a batch at a time as it streams in, holding one batch: an
        agenda of 50,000 is compared without ever being whole in memory. A retry after a
        failure mid-body hands the first batches again (`each` must not mind). Returns the count."""
        path = f"contact/{ref.channel.value}/{_seg(ref.platform_id)}"

        def read(response: httpx.Response) -> int:
            batch: list[Contact] = []
            count = 0
            for document in parsing.iter_agenda(response.iter_bytes()):
                batch.append(Contact.from_document(document, ref))
                if len(batch) >= size:
                    each(batch)
                    count, batch = count + len(batch), []
            if batch:
                each(batch)
            return count + len(batch)

        return self._get(path, read)

    # -- plumbing -------------------------------------------------------------------------

    def _get(self, path: str, read: Callable[[httpx.Response], T]) -> T:
        """GET and `read` the streamed 2xx answer, the whole retried on 5xx and connection errors.

        Those often pass within seconds, and a connection lost mid-body is retried too.

        Not on time-outs (each would make the person wait a whole time-out more), and not on a
        ProtocolError: an answer that is not the API's is a maintenance page or a proxy in the
        way, which will not be gone after a back-off of a second or two.
        """
        retrying = Retrying(
            retry=retry_if_exception_type((ServerError, HeyNowUnreachable)),
            stop=stop_after_attempt(self._get_attempts),
            wait=wait_exponential_jitter(
                multiplier=self._backoff_seconds, max=8, jitter=self._backoff_seconds
            ),
            reraise=True,
        )
        with self._watched():
            for attempt in retrying:
                with attempt, self._authorised("GET", path) as response:
                    self._raise_for_status(response)
                    result = read(response)
        return result

    def _send(self, path: str, *, params: dict[str, str] | None, text: str) -> str:
        """POST one send and return its idMessageHey.

        Only answers that prove nothing went out are plain errors: a refused connection, a 4xx.
        A lost answer, a 5xx, or an answer that is not the API's (a redirect, a maintenance page,
        no id) raises DeliveryUnknown, chained from the reason: Hey Now may have sent it.
        """
        with self._watched():
            return self._send_watched(path, params=params, text=text)

    def _send_watched(self, path: str, *, params: dict[str, str] | None, text: str) -> str:
        token = self._current_token()  # a login that fails here sent nothing: its own error
        response = self._post_once(path, token, params=params, text=text)
        if response.status_code == 401:  # refused before anything happened: log in, once more
            logger.info("Hey Now answered 401 to a send; logging in again")
            response = self._post_once(path, self._renew(stale=token), params=params, text=text)
        if response.status_code >= 500:
            raise DeliveryUnknown(f"Hey Now answered {response.status_code} to a send") from (
                ServerError(response.status_code, response.text)
            )
        try:
            self._raise_for_status(response)
            return parsing.parse_message_id(response.content)
        except ProtocolError as exc:
            raise DeliveryUnknown(f"Hey Now's answer to a send cannot be read: {exc}") from exc

    def _post_once(
        self, path: str, token: str, *, params: dict[str, str] | None, text: str
    ) -> httpx.Response:
        """One send exchange; an answer lost once the request may have left is DeliveryUnknown."""
        try:
            with self._exchange(
                "POST", path, headers=_bearer(token), params=params, json={"text": text}
            ) as response:
                response.read()
                return response
        except HeyNowTimeout as exc:
            if isinstance(exc.__cause__, httpx.ConnectTimeout):
                raise  # never connected: nothing left
            raise DeliveryUnknown(str(exc)) from exc
        except HeyNowUnreachable as exc:
            if isinstance(exc.__cause__, httpx.ConnectError):
                raise  # refused: nothing left
            raise DeliveryUnknown(str(exc)) from exc

    @contextmanager
    def _authorised(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """Call with the bearer token, body left to stream; on 401, log in again once and repeat."""
        token = self._current_token()
        with self._exchange(method, path, headers=_bearer(token), **kwargs) as response:
            if response.status_code != 401:
                yield response
                return
        logger.info("Hey Now answered 401 to %s %s; logging in again", method, path)
        token = self._renew(stale=token)
        with self._exchange(method, path, headers=_bearer(token), **kwargs) as response:
            yield response

    def _current_token(self) -> str:
        now = self._clock()
        if self._token is None and self._tokens is not None:
            cached = self._tokens.load_token(self._account)
            if cached is not None and not parsing.looks_like_token(cached[0]):
                # An older version stored whatever a login answered, a maintenance page too.
                logger.warning("Discarding a cached Hey Now token that does not look like one")
                cached = None
            self._token = cached
        if self._token is not None and self._token[1] > now:
            return self._token[0]
        return self._renew(stale=self._token[0] if self._token else None)

    def _renew(self, stale: str | None) -> str:
        with self._login_lock:  # many threads may see the same 401: log in once
            if (
                self._token is not None
                and self._token[0] != stale
                and self._token[1] > self._clock()
            ):
                return self._token[0]
            return self.login()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One exchange with its (small) body read."""
        with self._exchange(method, path, **kwargs) as response:
            response.read()
        return response

    @contextmanager
    def _exchange(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """One exchange, body left to stream; httpx's failures become ours, also mid-body."""
        try:
            with self._http.stream(method, path, **kwargs) as response:
                logger.debug("Hey Now %s %s -> %s", method, path, response.status_code)
                yield response
        except httpx.TimeoutException as exc:
            raise HeyNowTimeout(f"{method} {path} timed out") from exc
        except httpx.TransportError as exc:
            raise HeyNowUnreachable(f"{method} {path}: {type(exc).__name__}") from exc

    @contextmanager
    def _watched(self, *, login: bool = False) -> Iterator[None]:
        """Tell the health observer how one call went, once: its retries, and the login it may
        need, are part of it (only the outermost call of a thread tells).

        Failed: no answer, a 5xx, an answer that is not the API's (a maintenance page, a
        redirect), or a login refused for another reason than its credentials (a 403, a 429).
        Answered: a 2xx, or a refusal of Hey Now's own about the request (a 404: not in the
        agenda). Refused credentials are told by login() itself."""
        self._depth.value = getattr(self._depth, "value", 0) + 1
        if self._depth.value == 1:
            self._depth.failed = None  # a failure of a call within this one (its login)
        outcome: tuple[str, ...] = ("answered",)
        try:
            yield
        except InvalidCredentials:
            outcome = ()
            raise
        except HeyNowHTTPError as exc:
            if login or exc.status_code >= 500:
                outcome = ("failed", f"http:{exc.status_code}")
            raise
        except (HeyNowTransportError, ProtocolError, DeliveryUnknown) as exc:
            outcome = ("failed", _failure(exc))
            raise
        finally:
            self._depth.value -= 1
            if outcome and outcome[0] == "failed":
                self._depth.failed = self._depth.failed or outcome
            if self._depth.value == 0 and outcome:
                self._tell(*(self._depth.failed or outcome))

    def _tell(self, what: str, *args: str) -> None:
        observer = self.observer
        if observer is None:
            return
        try:
            getattr(observer, what)(*args)
        except Exception:  # the health's bookkeeping must never break a call
            logger.exception("Recording Hey Now's health failed")

    @staticmethod
    def _raise_for_status(response: httpx.Response) -> None:
        """Raise unless 2xx. httpx follows no redirect (kept so): a 3xx is not the API's answer."""
        if response.status_code >= 400:
            response.read()  # a streamed answer's error body
            raise error_for_status(response.status_code, response.text)
        if not response.is_success:
            location = response.headers.get("Location", "")[:200]
            raise ProtocolError(f"Hey Now answered {response.status_code} (Location {location!r})")


def _failure(exc: HeyNowError) -> str:
    """What went wrong, as the team's texts name it (bot.slack.team_blocks)."""
    cause = exc.__cause__ if isinstance(exc, DeliveryUnknown) else exc
    if isinstance(cause, HeyNowTimeout):
        return "timeout"
    if isinstance(cause, HeyNowTransportError):
        return "unreachable"
    if isinstance(cause, HeyNowHTTPError):
        return f"http:{cause.status_code}"
    return "garbage"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _seg(value: str) -> str:
    """Quote one path segment so that an id can never add a path level."""
    return quote(str(value), safe="")


__all__ = ["Channel", "Contact", "HeyNowClient", "PlatformRef"]
