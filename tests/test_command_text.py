import re

import pytest

from bot.heynow import PlatformRef
from bot.services.inputs import Inputs
from handlers.commands.grammar import (
    AgendaSearch,
    CommandError,
    ContactLookup,
    Help,
    History,
    OpenSendForm,
    Send,
    Status,
    parse,
)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Help()),
        ("help", Help()),
        ("send", OpenSendForm()),
        ("send 091000001 Hola Ana", Send(None, "091000001", "Hola Ana")),
        ("send --no-validate 2:123 456 hi", Send("2:123", "456", "hi", validate=False)),
        (
            "send whatsapp:5989 --no-validate 091 hi",
            Send("whatsapp:5989", "091", "hi", validate=False),
        ),
        ("status", History()),
        ("history", History()),
        ("status #12", Status(None, "#12")),
        ("status 1:5989 abc-def", Status("1:5989", "abc-def")),
        ("contact 091000001", ContactLookup(None, "091000001")),
        ("contact fb:77 123", ContactLookup("fb:77", "123")),
        ("agenda", AgendaSearch(None, "")),
        ("agenda  1:5989   ana   pérez ", AgendaSearch("1:5989", "ana pérez")),
        ("AGENDA ana", AgendaSearch(None, "ana")),
    ],
)
def test_sentences_parse(text, command):
    assert parse(text) == command


def test_text_keeps_lines_and_inner_spaces_and_is_unescaped():
    parsed = parse("send 091000001 Line one\n  line two &lt;b&gt; &amp; co")
    assert parsed.text == "Line one\n  line two <b> & co"


def test_a_word_with_a_colon_that_is_no_platform_is_the_client():
    assert parse("send abc:def hello") == Send(None, "abc:def", "hello")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("sned 091 hi", "Did you mean `/heynow send`"),
        ("frobnicate", "not a /heynow command"),
        ("send 091000001", "empty"),
        ("send --force 091 hi", "--no-validate"),
        ("send --no-validate", "Say who to send to"),
        ("status a b", "/heynow status ID"),
        ("contact", "/heynow contact"),
        ("history --days 0", "from 1 to 90"),
    ],
)
def test_malformed_sentences_say_the_right_form(text, says):
    with pytest.raises(CommandError, match=says.replace("(", r"\(").replace("[", r"\[")):
        parse(text)


UY = Inputs(default_platform=PlatformRef.parse("1:59899000001"), default_region="UY")


def read(text: str):
    """Parse as the listener does: Inputs decides how many words name the client."""
    return parse(text, client_words=UY.client_words)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("send +598 91 000 002 Hola", Send(None, "+598 91 000 002", "Hola")),
        ("send 091 000 002 Hola", Send(None, "091 000 002", "Hola")),
        ("send 091000002 Hola", Send(None, "091000002", "Hola")),
        ("send 1:59899000001 (091) 000-002 Hola", Send("1:59899000001", "(091) 000-002", "Hola")),
        ("send 091 000 002 2 cajas", Send(None, "091 000 002", "2 cajas")),  # the longest valid
        ("send 091 000 hola", Send(None, "091 000", "hola")),  # none valid: the error names both
        ("send 12345 hola", Send(None, "12345", "hola")),
        (
            "send 2:104857600123456 2458811223344556 77 pesos",
            Send("2:104857600123456", "2458811223344556", "77 pesos"),
        ),
        ("send 3:1460000000000000001 1500 000 hi", Send("3:1460000000000000001", "1500", "000 hi")),
        ("send 1:bad/id 091 000 001 hi", Send("1:bad/id", "091", "000 001 hi")),  # refused later
        ("contact 091 000 001", ContactLookup(None, "091 000 001")),
        ("contact +598 91 000 001", ContactLookup(None, "+598 91 000 001")),
    ],
)
def test_numbers_are_read_as_people_write_them(text, command):
    assert read(text) == command


def test_the_text_after_a_spaced_number_is_kept_as_typed():
    assert read("send 091 000 002 Hola\n  segunda línea").text == "Hola\n  segunda línea"


def test_without_a_reader_of_numbers_the_client_is_one_word():
    assert parse("send 091 000 002 Hola") == Send(None, "091", "000 002 Hola")


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("send 091000001 --no-validate Hola", Send(None, "091000001", "Hola", validate=False)),
        ("send 091 000 001 --no-validate Hola", Send(None, "091 000 001", "Hola", validate=False)),
        (
            "send 1:59899000001 --no-validate 091 000 001 Hola",
            Send("1:59899000001", "091 000 001", "Hola", validate=False),
        ),
        (
            "send 2:104857600123456 2458811223344556 --no-validate Hi",
            Send("2:104857600123456", "2458811223344556", "Hi", validate=False),
        ),
        ("send 091000001 Hola --no-validate", Send(None, "091000001", "Hola --no-validate")),
        ("send 091000001 Hola\n--no-validate", Send(None, "091000001", "Hola\n--no-validate")),
    ],
)
def test_options_are_read_anywhere_before_the_text_and_never_in_it(text, command):
    assert read(text) == command


@pytest.mark.parametrize(
    "text", ["send 091000001 --force Hola", "send 091 000 001 --force Hola", "send --force 091 hi"]
)
def test_an_unknown_option_before_the_text_is_refused_naming_the_options(text):
    with pytest.raises(CommandError, match="`--force` is not an option of send.*`--no-validate`"):
        read(text)


def test_an_option_after_the_client_still_needs_a_text():
    with pytest.raises(CommandError, match="The message to 091000001 is empty"):
        read("send 091000001 --no-validate")


def test_an_option_is_never_offered_as_part_of_the_client():
    offered = []

    def every_word(platform, words):
        offered.append(list(words))
        return len(words)

    assert parse("send 1:5989 a b --no-validate c d", client_words=every_word) == Send(
        "1:5989", "a b", "c d", validate=False
    )
    assert offered == [["a", "b"]]


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("enviar 091000001 Hola", Send(None, "091000001", "Hola")),
        ("ENVIAR", OpenSendForm()),
        ("enviar --sin-validar 2:123 456 hola", Send("2:123", "456", "hola", validate=False)),
        ("send 091000001 --Sin-Validar hola", Send(None, "091000001", "hola", validate=False)),
        ("estado #12", Status(None, "#12")),
        ("estado", History()),
        ("historial", History()),
        ("contacto 091000001", ContactLookup(None, "091000001")),
        ("agenda perez", AgendaSearch(None, "perez")),
        ("ayuda", Help()),
        ("Ayuda", Help()),
    ],
)
def test_spanish_words_are_the_same_commands(text, command):
    assert parse(text) == command


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("envair 091 hi", "Did you mean `/heynow enviar`?"),
        ("histroial", "Did you mean `/heynow historial`?"),
        ("contato 091", "Did you mean `/heynow contacto`?"),
        ("sned 091 hi", "Did you mean `/heynow send`?"),
        ("ayudaa", "Did you mean `/heynow ayuda`?"),
        ("send --sin-valdar 091 hi", "Did you mean `--sin-validar`?"),
        ("send 091 --no-valdate hi", "Did you mean `--no-validate`?"),
    ],
)
def test_did_you_mean_knows_both_languages(text, says):
    with pytest.raises(CommandError, match=re.escape(says)):
        parse(text)


def test_an_unknown_option_names_the_option_in_both_languages():
    with pytest.raises(CommandError) as raised:
        parse("send --force 091 hi")
    assert "`--no-validate`" in str(raised.value) and "`--sin-validar`" in str(raised.value)
    assert "Did you mean" not in str(raised.value)
