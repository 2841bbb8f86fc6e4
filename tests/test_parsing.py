import pytest

from bot.heynow import ProtocolError, parsing


@pytest.mark.parametrize(
    "body",
    [b'{"idMessageHey": "abc-1"}', b'{"id": "abc-1"}', b'"abc-1"', b"abc-1", b' "abc-1"\n'],
)
def test_message_id_in_every_tolerated_shape(body):
    assert parsing.parse_message_id(body) == "abc-1"


def test_a_numeric_id_is_read_as_text():
    assert parsing.parse_message_id(b'{"id": 42}') == "42"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"  ",
        b"{}",
        b"[]",
        b"null",
        b"true",
        b'{"idMessageHey": ""}',
        b'{"idMessageHey": true}',
        b"<html><body>Mantenimiento</body></html>",
        b'{"idMessageHey": "0b7e',
        b'"two words"',
        b'"-starts-with-a-dash"',
        b'"' + b"m" * 101 + b'"',
        b'{"idMessageHey": "<b>1</b>"}',
    ],
)
def test_anything_that_does_not_look_like_an_id_is_a_protocol_error(body):
    with pytest.raises(ProtocolError):
        parsing.parse_message_id(body)


@pytest.mark.parametrize(
    ("body", "status"),
    [(b'"LU"', "LU"), (b"RU", "RU"), (b'{"status": "RS"}', "RS"), (b'"?"', "?"), (b' "lu" ', "LU")],
)
def test_status_in_every_tolerated_shape(body, status):
    assert parsing.parse_status(body) == status


@pytest.mark.parametrize("body", [b'"DELIVERED"', b'{"status": "sent"}', b'"<html>"'])
def test_a_status_of_the_api_shape_but_unknown_value_is_unknown(body):
    assert parsing.parse_status(body) == "?"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b" \n ",
        b"42",
        b"null",
        b"[]",
        b"<html>oops</html>",
        b"Service Unavailable",
        b'{"state": "LU"}',
        b'{"status": 5}',
        b'{"status": "RS"',
        b"\xff\xfe",
    ],
)
def test_a_status_body_of_no_tolerated_shape_is_a_protocol_error(body):
    with pytest.raises(ProtocolError):
        parsing.parse_status(body)


@pytest.mark.parametrize("body", [b"", b"[]", b'"x"', b"<html></html>", b'{"_id": "a"'])
def test_a_contact_body_that_is_not_an_object_is_a_protocol_error(body):
    with pytest.raises(ProtocolError):
        parsing.parse_json_object(body)


TOKEN = "Xq3vN8rT2bLk9PzW4mYc-_0aB1cD2eF3gH4iJ5kL6mN"  # as secrets.token_urlsafe(32)
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("body", "token"),
    [
        (f'{{"token": "{TOKEN}"}}'.encode(), TOKEN),
        (f'"{TOKEN}"'.encode(), TOKEN),
        (f"{TOKEN}\n".encode(), TOKEN),
        (f'{{"token": "{JWT}"}}'.encode(), JWT),
    ],
)
def test_token_shapes(body, token):
    assert parsing.parse_token(body) == token


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{}",
        b'{"token": ""}',
        b'{"token": "t1"}',
        b'{"token": 1234567890123456789}',
        b"<html><body>Mantenimiento</body></html>",
        b'{"token": "two words two words two words"}',
        f'{{"token": "{TOKEN}'.encode(),
        ('"' + "a" * 4097 + '"').encode(),
    ],
)
def test_anything_that_does_not_look_like_a_token_is_a_protocol_error(body):
    with pytest.raises(ProtocolError) as caught:
        parsing.parse_token(body)
    assert TOKEN not in str(caught.value)
