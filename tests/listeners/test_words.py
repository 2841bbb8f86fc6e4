"""The errors of `/heynow` as each reader reads them: the grammar's and the input checks' in
their language, what they typed given back escaped, and Hey Now's own words with them."""

from __future__ import annotations

SPANISH = {"locale": "es-LA", "tz": "America/Montevideo"}


def test_a_spanish_reader_is_told_the_spanish_command(slack, standin, db):
    standin.people[slack.user] = SPANISH
    ack = slack.command("envir 091000001 hola")
    assert ack.text.startswith(
        ":warning: `envir` no es un comando de /heynow. ¿Quisiste decir `/heynow enviar`?"
    )
    empty = slack.command("enviar 091000001")
    assert "El mensaje para 091000001 está vacío: `/heynow enviar 091000001 ¡Hola!`" in empty.text
    assert db.messages() == []


def test_an_english_reader_who_types_a_spanish_word_wrong_gets_it_still(slack):
    ack = slack.command("stats")
    assert "`stats` is not a /heynow command. Did you mean `/heynow status`?" in ack.text


def test_a_typed_channel_ping_in_a_bad_command_comes_back_escaped(slack, db):
    for typed, shown in (
        ("<!channel> hola", "`&lt;!channel&gt;` is not a /heynow command."),
        ("send <!channel> hola", "`&lt;!channel&gt;` is not a valid phone number"),
        ("send --<!here> 091000001 hola", "`--&lt;!here&gt;` is not an option of send."),
    ):
        ack = slack.command(typed)
        said = ack.json["text"] + str(ack.json["blocks"])
        assert shown in ack.json["text"], typed
        assert "<!channel>" not in said and "<!here>" not in said
    assert db.messages() == []


def test_a_spanish_reader_reads_hey_nows_words_as_they_are(slack, standin):
    standin.people[slack.user] = SPANISH
    ack = slack.command("enviar 3:1460000000000000001 1599999999999999999 hola")
    note = slack.response(ack.ref)["text"]
    assert note.startswith("No se envió: 1599999999999999999 no está en la agenda de Twitter")
    assert "vuelve a enviarlo con `--sin-validar`" in note
    assert note.endswith(
        "En palabras de Hey Now: «El clientId no pertenece a la agenda del platformId»."
    )


def test_an_english_reader_reads_hey_nows_words_explained(slack):
    said = slack.answer("contact 091999999")
    assert "091999999 is not in the agenda of WhatsApp 59899000001" in said
    assert "In Hey Now's words: “Contacto no encontrado” (contact not found)." in said
