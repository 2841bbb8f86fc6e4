"""The client against httpx.MockTransport handlers, as httpx's own tests fake servers."""

import json
import time

import httpx
import pytest

from bot.heynow import (
    DeliveryUnknown,
    HeyNowClient,
    HeyNowTimeout,
    HeyNowUnreachable,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
    PlatformRef,
    ProtocolError,
    ServerError,
)
from bot.heynow.errors import BadRequest

REF = PlatformRef.parse("1:59899000001")
ACCOUNT = "https://heynow.test/api u"  # the TokenCache key of client_for's clients


def token(n: int) -> str:
    """The n-th token FakeHeyNow issues, shaped like the simulator's secrets.token_urlsafe(32)."""
    return f"token-{n}-Xq3vN8rT2bLk9PzW4mYc"


class FakeHeyNow:
    """A scripted server: `answers` maps 'METHOD path' to a list of responses, used in order.

    A login is answered with the next token(n) unless `answers` scripts 'POST /api/login'.
    """

    def __init__(self, answers=None):
        self.answers = answers or {}
        self.requests: list[httpx.Request] = []
        self.logins = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/api/login":
            self.logins += 1
            if "POST /api/login" not in self.answers:
                return httpx.Response(200, json={"token": token(self.logins)})
        queue = self.answers[f"{request.method} {request.url.path}"]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client_for(fake, **kwargs) -> HeyNowClient:
    return HeyNowClient(
        base_url="https://heynow.test/api",
        user="u",
        password="secret-pw",
        transport=httpx.MockTransport(fake),
        backoff_seconds=0,
        **kwargs,
    )


def test_send_puts_channel_platform_client_in_path_validation_in_query_text_in_body():
    fake = FakeHeyNow(
        {
            "POST /api/message/1/59899000001/59891000001": [
                httpx.Response(200, json={"idMessageHey": "m-1"})
            ]
        }
    )
    assert client_for(fake).send_message(REF, "59891000001", "hola", validate=False) == "m-1"
    sent = fake.requests[-1]
    assert sent.url.params["contactValidation"] == "false"
    assert json.loads(sent.content) == {"text": "hola"}
    assert sent.headers["Authorization"] == f"Bearer {token(1)}"


def test_login_body_and_token_reused_across_calls():
    fake = FakeHeyNow({"GET /api/message/1/59899000001/m-1": [httpx.Response(200, json="RS")]})
    client = client_for(fake)
    assert client.message_status(REF, "m-1") == "RS"
    assert client.message_status(REF, "m-1") == "RS"
    assert fake.logins == 1
    assert json.loads(fake.requests[0].content) == {"name": "u", "password": "secret-pw"}


def test_token_cache_spares_the_login_after_a_restart(fresh_store):
    fake = FakeHeyNow({"GET /api/message/1/59899000001/m-1": [httpx.Response(200, text="LU")]})
    client_for(fake, token_cache=fresh_store.tokens).message_status(REF, "m-1")
    client_for(fake, token_cache=fresh_store.tokens).message_status(REF, "m-1")
    assert fake.logins == 1


def test_a_login_answered_with_a_page_stores_no_token_even_across_restarts(fresh_store):
    send = "POST /api/message/1/59899000001/5989"
    page = httpx.Response(200, text="<html><body>Mantenimiento</body></html>")
    good = httpx.Response(200, json={"token": token(2)})
    fake = FakeHeyNow({"POST /api/login": [page, good], send: [httpx.Response(200, json="m-1")]})
    with pytest.raises(ProtocolError):
        client_for(fake, token_cache=fresh_store.tokens).send_message(REF, "5989", "x")
    assert fresh_store.tokens.load_token(ACCOUNT) is None
    assert [r.url.path for r in fake.requests] == ["/api/login"]  # the send never left

    assert client_for(fake, token_cache=fresh_store.tokens).send_message(REF, "5989", "x") == "m-1"
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {token(2)}"


def test_a_client_keeps_no_token_from_a_login_answered_with_a_page():
    page = httpx.Response(200, json={"token": "<b>down</b>"})
    fake = FakeHeyNow({"POST /api/login": [page, httpx.Response(200, json=token(2))]})
    client = client_for(fake)
    with pytest.raises(ProtocolError):
        client.ensure_token()
    client.ensure_token()
    assert fake.logins == 2


def test_a_redirected_login_is_a_protocol_error_even_with_a_token_in_it(fresh_store):
    redirect = httpx.Response(302, headers={"Location": "https://sso.test/"}, json=token(1))
    fake = FakeHeyNow({"POST /api/login": [redirect]})
    with pytest.raises(ProtocolError):
        client_for(fake, token_cache=fresh_store.tokens).ensure_token()
    assert fresh_store.tokens.load_token(ACCOUNT) is None


def test_a_poisoned_token_in_the_cache_is_discarded_for_a_fresh_login(fresh_store):
    fresh_store.tokens.save_token(
        ACCOUNT, "<html><body>Mantenimiento</body></html>", time.time() + 3600
    )
    fake = FakeHeyNow({"POST /api/message/1/59899000001/5989": [httpx.Response(200, json="m-1")]})
    assert client_for(fake, token_cache=fresh_store.tokens).send_message(REF, "5989", "x") == "m-1"
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {token(1)}"
    assert fresh_store.tokens.load_token(ACCOUNT)[0] == token(1)
    client_for(fake, token_cache=fresh_store.tokens).send_message(REF, "5989", "x")  # a restart
    assert fake.logins == 1


def test_expired_token_is_renewed_once_on_401_and_the_call_repeated():
    fake = FakeHeyNow(
        {"GET /api/contact/1/59899000001": [httpx.Response(401), httpx.Response(200, json=[])]}
    )
    assert client_for(fake).agenda(REF) == []
    assert fake.logins == 2
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {token(2)}"


def test_a_send_refused_with_401_is_repeated_after_login_because_nothing_was_sent():
    fake = FakeHeyNow(
        {
            "POST /api/message/1/59899000001/5989": [
                httpx.Response(401),
                httpx.Response(200, json="id-9"),
            ]
        }
    )
    assert client_for(fake).send_message(REF, "5989", "x") == "id-9"


def test_401_on_login_is_invalid_credentials():
    def server(request):
        return httpx.Response(401, text="nope")

    with pytest.raises(InvalidCredentials):
        client_for(server).agenda(REF)


@pytest.mark.parametrize(
    ("status", "error"),
    [(403, PermissionDenied), (404, NotFound), (400, BadRequest), (500, ServerError)],
)
def test_statuses_map_to_typed_errors(status, error):
    fake = FakeHeyNow({"GET /api/contact/1/59899000001/42": [httpx.Response(status, text="x")]})
    with pytest.raises(error):
        client_for(fake).contact(REF, "42")


GETS = {  # path, call, a body of the right shape
    "status": ("/api/message/1/59899000001/m", lambda c: c.message_status(REF, "m"), "RS"),
    "contact": ("/api/contact/1/59899000001/42", lambda c: c.contact(REF, "42"), {"_id": "a"}),
    "agenda": ("/api/contact/1/59899000001", lambda c: c.agenda(REF), []),
}


@pytest.mark.parametrize(("path", "call", "body"), GETS.values(), ids=GETS.keys())
@pytest.mark.parametrize("status", [301, 302, 307])
def test_a_redirected_get_is_a_protocol_error_never_followed(path, call, body, status):
    redirect = httpx.Response(status, headers={"Location": "https://portal.test/"}, json=body)
    fake = FakeHeyNow({f"GET {path}": [redirect]})
    with pytest.raises(ProtocolError):
        call(client_for(fake))
    assert [r.url.path for r in fake.requests] == ["/api/login", path]


@pytest.mark.parametrize(("path", "call", "body"), GETS.values(), ids=GETS.keys())
def test_a_get_answered_with_a_page_is_a_protocol_error_and_not_retried(path, call, body):
    page = httpx.Response(200, text="<html><body>Mantenimiento</body></html>")
    fake = FakeHeyNow({f"GET {path}": [page, httpx.Response(200, json=body)]})
    with pytest.raises(ProtocolError):
        call(client_for(fake, get_attempts=3))
    assert [r.url.path for r in fake.requests] == ["/api/login", path]


def test_a_contact_that_is_not_an_object_is_a_protocol_error():
    fake = FakeHeyNow({"GET /api/contact/1/59899000001/42": [httpx.Response(200, json=[])]})
    with pytest.raises(ProtocolError):
        client_for(fake).contact(REF, "42")


def test_gets_are_retried_on_5xx_then_succeed():
    fake = FakeHeyNow(
        {
            "GET /api/message/1/59899000001/m": [
                httpx.Response(503),
                httpx.Response(500),
                httpx.Response(200, json="RU"),
            ]
        }
    )
    assert client_for(fake).message_status(REF, "m") == "RU"
    assert len([r for r in fake.requests if r.method == "GET"]) == 3


def test_gets_give_up_after_the_attempts():
    fake = FakeHeyNow({"GET /api/message/1/59899000001/m": [httpx.Response(500)]})
    with pytest.raises(ServerError):
        client_for(fake, get_attempts=2).message_status(REF, "m")
    assert len([r for r in fake.requests if r.method == "GET"]) == 2


def test_a_send_answered_500_is_unknown_and_never_repeated():
    fake = FakeHeyNow({"POST /api/message/1/59899000001/5989": [httpx.Response(500)]})
    with pytest.raises(DeliveryUnknown):
        client_for(fake).send_message(REF, "5989", "x")
    assert len([r for r in fake.requests if r.method == "POST" and "message" in r.url.path]) == 1


GARBAGE_SEND_ANSWERS = {
    "maintenance page": httpx.Response(200, text="<html><body>Back soon</body></html>"),
    "truncated json": httpx.Response(200, text='{"idMessageHey": "0b7e'),
    "object without id": httpx.Response(200, json={"ok": True}),
    "id with whitespace": httpx.Response(200, json={"idMessageHey": "m 1"}),
    "id too long": httpx.Response(200, json={"idMessageHey": "m" * 101}),
    "empty body": httpx.Response(200, text=""),
    # A well-shaped body, so that only the status can refuse it.
    "redirect": httpx.Response(
        302, headers={"Location": "https://portal.test/login"}, json={"idMessageHey": "m-1"}
    ),
}


def send_one(client: HeyNowClient, mass: bool) -> str:
    if mass:
        return client.send_mass_message(REF, "5989", "x")
    return client.send_message(REF, "5989", "x")


@pytest.mark.parametrize("mass", [False, True], ids=["message", "masiveMessage"])
@pytest.mark.parametrize("answer", GARBAGE_SEND_ANSWERS.values(), ids=GARBAGE_SEND_ANSWERS.keys())
def test_a_send_answered_with_garbage_is_unknown_never_an_id(answer, mass):
    path = "/api/masiveMessage/1/59899000001/5989" if mass else "/api/message/1/59899000001/5989"
    fake = FakeHeyNow({f"POST {path}": [answer]})
    with pytest.raises(DeliveryUnknown) as caught:
        send_one(client_for(fake), mass)
    assert isinstance(caught.value.__cause__, ProtocolError)
    assert [r.url.path for r in fake.requests] == ["/api/login", path]  # no redirect followed


def test_an_id_of_100_characters_is_still_an_id():
    fake = FakeHeyNow(
        {"POST /api/message/1/59899000001/5989": [httpx.Response(200, json="m" * 100)]}
    )
    assert client_for(fake).send_message(REF, "5989", "x") == "m" * 100


def test_a_send_whose_answer_timed_out_is_unknown():
    fake = FakeHeyNow({"POST /api/message/1/59899000001/5989": [httpx.ReadTimeout("slow")]})
    with pytest.raises(DeliveryUnknown):
        client_for(fake).send_message(REF, "5989", "x")


def test_a_send_that_could_not_connect_is_a_plain_failure():
    fake = FakeHeyNow({"POST /api/message/1/59899000001/5989": [httpx.ConnectError("refused")]})
    with pytest.raises(HeyNowUnreachable):
        client_for(fake).send_message(REF, "5989", "x")


def test_get_timeouts_are_typed_and_not_retried():
    fake = FakeHeyNow({"GET /api/contact/1/59899000001": [httpx.ReadTimeout("slow")]})
    with pytest.raises(HeyNowTimeout):
        client_for(fake).agenda(REF)
    assert len([r for r in fake.requests if r.method == "GET"]) == 1


def test_gets_are_retried_on_connection_errors():
    fake = FakeHeyNow(
        {
            "GET /api/contact/1/59899000001": [
                httpx.ConnectError("refused"),
                httpx.Response(200, json=[]),
            ]
        }
    )
    assert client_for(fake).agenda(REF) == []


def test_ids_are_quoted_so_they_cannot_add_path_levels():
    fake = FakeHeyNow(
        {"GET /api/message/1/59899000001/a/../login": [httpx.Response(200, json="RS")]}
    )
    client_for(fake).message_status(REF, "a/../login")
    assert fake.requests[-1].url.raw_path.endswith(b"/a%2F..%2Flogin")


def test_mass_send_uses_the_real_misspelt_path():
    fake = FakeHeyNow({"POST /api/masiveMessage/2/p/c": [httpx.Response(200, text="m-5")]})
    assert client_for(fake).send_mass_message(PlatformRef.parse("2:p"), "c", "hi") == "m-5"


def test_contact_document_is_read_like_the_vendor_example():
    doc = {
        "_id": "59ced3c032fb0814d5618eed",
        "phones": ["59895000000"],
        "first_name": "Ana",
        "last_name": None,
        "channels": [
            {"channel": 1, "platformId": "59899000001", "clientId": "59895000000", "metaData": {}}
        ],
    }
    fake = FakeHeyNow(
        {"GET /api/contact/1/59899000001/59895000000": [httpx.Response(200, json=doc)]}
    )
    contact = client_for(fake).contact(REF, "59895000000")
    assert (contact.name, contact.client_id, contact.phones) == (
        "Ana",
        "59895000000",
        ("59895000000",),
    )


def test_the_password_never_appears_in_errors():
    def server(request):
        return httpx.Response(500, text="boom")

    with pytest.raises(Exception) as caught:
        client_for(server).agenda(REF)
    assert "secret-pw" not in str(caught.value) and "secret-pw" not in repr(caught.value)
