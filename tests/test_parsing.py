import pytest

from bot.heynow import parsing


@pytest.mark.parametrize(
    "body",
    [b'{"idMessageHey": "abc-1"}', b'{"id": "abc-1"}', b'"abc-1"', b"abc-1", b' "abc-1"\n'],
)
def test_message_id_in_every_tolerated_shape(body):
    assert parsing.parse_message_id(body) == "abc-1"


@pytest.mark.parametrize("body", [b"", b"{}", b"[]", b"null", b'{"idMessageHey": ""}'])
def test_message_id_absent(body):
    assert parsing.parse_message_id(body) is None


@pytest.mark.parametrize(
    ("body", "status"),
    [(b'"LU"', "LU"), (b"RU", "RU"), (b'{"status": "RS"}', "RS"), (b'"?"', "?"), (b' "lu" ', "LU")],
)
def test_status_in_every_tolerated_shape(body, status):
    assert parsing.parse_status(body) == status


@pytest.mark.parametrize(
    "body", [b"", b"42", b'"DELIVERED"', b"<html>oops</html>", b'{"state": "LU"}', b"\xff\xfe"]
)
def test_anything_else_is_unknown_not_a_crash(body):
    assert parsing.parse_status(body) == "?"


def test_agenda_accepts_a_wrapped_list_and_skips_junk():
    assert parsing.parse_json_list(b'[{"_id": "a"}, 3, "x"]') == [{"_id": "a"}]
    assert parsing.parse_json_list(b'{"contacts": [{"_id": "b"}]}') == [{"_id": "b"}]
    assert parsing.parse_json_list(b"oops") == []


def test_token_shapes():
    assert parsing.parse_token(b'{"token": "t1"}') == "t1"
    assert parsing.parse_token(b'"t2"') == "t2"
    assert parsing.parse_token(b"{}") is None
