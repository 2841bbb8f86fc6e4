"""What the error, input and grammar modules say, in both languages: the grammar's and the
input checks' errors, the Hey Now errors explained, Hey Now's own (Spanish) words in its error
answers, and what was typed coming back escaped."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.domain import SenderNotice
from bot.heynow import (
    DeliveryUnknown,
    HeyNowClient,
    HeyNowTimeout,
    NotFound,
    PermissionDenied,
    PlatformRef,
)
from bot.heynow import errors as heynow_errors
from bot.heynow.channels import Channel, normalise_client_id
from bot.heynow.errors import (
    VENDOR_PHRASES,
    VENDOR_WORDS_MAX,
    BadRequest,
    HeyNowError,
    InvalidCredentials,
    ServerError,
    vendor_phrase,
    vendor_words,
)
from bot.i18n import Texts, speaking
from bot.i18n.catalog import catalogue
from bot.mrkdwn import escape
from bot.services.inputs import InputError, Inputs, SlackOrigin
from bot.services.sending import failure_params
from bot.slack import explain as explaining
from bot.slack import render
from bot.slack.explain import explain, sender_note
from handlers.commands.grammar import CommandError, parse
from tests.conftest import ROW

SPANISH = Texts.of("es", "America/Montevideo")
HOME = PlatformRef.parse("1:59899000001")
ORIGIN = SlackOrigin("T1", "C1", "U1", "k")
# Words that would be English left in a Spanish text (command words in backticks aside).
ENGLISH_WORDS = re.compile(r"\b(the|is|not|to|and|or|Use|Say|Did|you|send|message|empty)\b")


def spanish_prose(text: str) -> str:
    """The text without its `code` spans, where command words and ids are."""
    return re.sub(r"`[^`]*`", "", text)


def command_error(text: str) -> str:
    with pytest.raises(CommandError) as raised:
        parse(text)
    return str(raised.value)


# -- the grammar, in Spanish --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        (
            "envir 091 hola",
            "`envir` no es un comando de /heynow. ¿Quisiste decir `/heynow enviar`? "
            "`/heynow ayuda` muestra todos los comandos.",
        ),
        (
            "enviar --sin-validar",
            "Indica a quién enviarlo y qué: `/heynow enviar [CANAL:PLATAFORMA] CLIENTE TEXTO`.",
        ),
        (
            "enviar 091000001",
            "El mensaje para 091000001 está vacío: `/heynow enviar 091000001 ¡Hola!`",
        ),
        (
            "enviar --forzar 091 hola",
            "`--forzar` no es una opción de enviar. La única es `--sin-validar` (`--no-validate` "
            "en inglés): envía aunque el cliente no esté en la agenda.",
        ),
        (
            "estado a b c",
            "Usa `/heynow estado ID`, `/heynow estado CANAL:PLATAFORMA ID` o `/heynow estado`.",
        ),
        (
            "historial --dias dos",
            "`--dias` lleva un número entero de días, de 1 a 90; por ejemplo, `--dias 30`.",
        ),
        (
            "contacto",
            "Usa `/heynow contacto [CANAL:PLATAFORMA] CLIENTE`, por ejemplo "
            "`/heynow contacto 091000001`.",
        ),
    ],
)
def test_each_grammar_error_in_spanish(typed: str, says: str) -> None:
    with speaking(SPANISH):
        said = command_error(typed)
    assert said == says
    assert not ENGLISH_WORDS.search(spanish_prose(said))


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("envir 091 hola", "`/heynow enviar`"),
        ("stats", "`/heynow status`"),
        ("sned 091 hi", "`/heynow send`"),
        ("estaod", "`/heynow estado`"),
        ("enviar --sin-valdar 091 hola", "`--sin-validar`"),
        ("send --no-valdate 091 hi", "`--no-validate`"),
    ],
)
def test_did_you_mean_suggests_across_both_languages(typed: str, suggested: str) -> None:
    """The closest word of either language, whichever the reader's: `stats` is `status`."""
    with speaking(SPANISH):
        assert f"¿Quisiste decir {suggested}?" in command_error(typed)
    assert f"Did you mean {suggested}?" in command_error(typed)


def test_an_english_reader_is_hinted_the_english_words() -> None:
    assert "`/heynow send [CHANNEL:PLATFORM] CLIENT TEXT`" in command_error("send --no-validate")
    assert "The only one is `--no-validate`" in command_error("send --force 091 hi")
    assert "`/heynow help` lists them." in command_error("xyzzy")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("&lt;!channel&gt; hola", "`&lt;!channel&gt;` is not a /heynow command."),
        ("send --&lt;!here&gt; 091 hi", "`--&lt;!here&gt;` is not an option of send."),
        ("send &lt;@U0BOSS&gt;", "The message to &lt;@U0BOSS&gt; is empty"),
    ],
)
def test_what_was_typed_comes_back_escaped(typed: str, shown: str) -> None:
    """Slack sends `<` `>` `&` of a command as entities; the grammar reads the characters and
    its errors give them back escaped, so a typed `<!channel>` pings nobody."""
    said = command_error(typed)
    assert shown in said
    assert "<!" not in said and "<@" not in said


# -- the input checks, in Spanish ---------------------------------------------------------------


def inputs(**kwargs: object) -> Inputs:
    return Inputs(default_platform=HOME, default_region="UY", **kwargs)  # type: ignore[arg-type]


def input_error(platform: str | None, client: str, text: str, made: Inputs | None = None) -> str:
    with pytest.raises(InputError) as raised:
        (made or inputs()).send_request(ORIGIN, platform, client, text, validate=True)
    return str(raised.value)


@pytest.mark.parametrize(
    ("platform", "client", "text", "says"),
    [
        (None, " ", "hola", "Indica a quién enviarlo: `/heynow enviar CLIENTE TEXTO`."),
        (
            None,
            "091000001",
            "  ",
            "El mensaje está vacío: escribe el texto después del cliente, por ejemplo "
            "`/heynow enviar 091000001 ¡Hola!`",
        ),
        (
            "2:104857600123456",
            "2458811223344557",
            "x" * 2001,
            "El mensaje tiene 2.001 caracteres; Messenger admite como máximo 2.000. "
            "Acórtalo o divídelo en dos.",
        ),
        (
            "4:webchat-demo",
            "visitor-1",
            "hola",
            "WebChat no admite mensajes individuales en la API de Hey Now (solo WhatsApp, "
            "Messenger y Twitter los admiten). Elige otra plataforma.",
        ),
        (
            None,
            "12345",
            "hola",
            "`12345` no es un número de teléfono válido: escríbelo con su código de país "
            "(`+598 91 000 001`) o como número local de UY (`091 000 001`)",
        ),
        ("9:x", "091000001", "hola", "`9` no es un canal de Hey Now: usa 1 (WhatsApp), 2"),
        ("1:a/b", "091000001", "hola", "`a/b` no es un id de plataforma: usa solo letras"),
        ("1", "091000001", "hola", "`1` no es CANAL:PLATAFORMA (por ejemplo `1:59899000001`"),
        (
            "2:104857600123456",
            "a b",
            "hola",
            "`a b` no es un id de Messenger: usa el id del cliente tal como lo muestra Hey Now",
        ),
    ],
)
def test_each_input_error_in_spanish(
    platform: str | None, client: str, text: str, says: str
) -> None:
    with speaking(SPANISH):
        said = input_error(platform, client, text)
    assert said.startswith(says)
    assert not ENGLISH_WORDS.search(spanish_prose(said))


def test_the_platform_errors_in_spanish() -> None:
    with speaking(SPANISH):
        nothing = Inputs(default_platform=None, default_region="UY")
        assert input_error(None, "091000001", "hola", nothing) == (
            "No hay una plataforma predeterminada configurada: indica una como "
            "CANAL:PLATAFORMA (por ejemplo `1:59899000001`) o pide a un administrador que "
            "configure HEYNOW_DEFAULT_PLATFORM."
        )
        from bot.config import AllowedPlatform

        listed = inputs(platforms=(AllowedPlatform(HOME, "Ventas <b>"),))
        assert input_error("1:59899000002", "091000001", "hola", listed) == (
            "`1:59899000002` no es una de las plataformas de este espacio de trabajo. "
            "Usa una de estas: `1:59899000001` (Ventas &lt;b&gt;)."
        )


def test_a_typed_client_comes_back_escaped() -> None:
    said = input_error(None, "<!channel>", "hola")
    assert said.startswith("`&lt;!channel&gt;` is not a valid phone number")
    with pytest.raises(ValueError, match="`&lt;@U1&gt;` is not a Twitter id"):
        normalise_client_id(Channel.TWITTER, "<@U1>", "UY")
    with pytest.raises(ValueError, match="`&lt;!here&gt;` is not a Hey Now channel"):
        Channel.parse("<!here>")


def test_the_escape_below_bot_slack_is_renders() -> None:
    sample = "<!channel> & <@U1> &amp; >"
    assert escape(sample) == render.escape(sample)


# -- Hey Now's errors explained, in Spanish -----------------------------------------------------


def test_not_in_the_agenda_in_spanish_hints_the_spanish_option() -> None:
    with speaking(SPANISH):
        said = explain(NotFound(404), action="send", ref=HOME, subject="59891000009")
        unvalidated = explain(
            NotFound(404), action="send", ref=HOME, subject="59891000009", validated=False
        )
        contact = explain(NotFound(404), action="contact", ref=HOME, subject="091")
        status = explain(NotFound(404), action="status", ref=HOME, subject="abc")
    assert said == (
        "No se envió: 59891000009 no está en la agenda de WhatsApp 59899000001 (nunca le "
        "escribió). Revisa el número con `/heynow contacto`; si la plataforma puede escribir a "
        "clientes nuevos, vuelve a enviarlo con `--sin-validar`."
    )
    assert "vuelve a enviarlo" not in unvalidated and "ni siquiera sin la validación" in unvalidated
    assert "`/heynow agenda` muestra quiénes sí" in contact
    assert status.startswith("Hey Now no tiene ningún mensaje `abc` en WhatsApp 59899000001")
    for text in (said, unvalidated, contact, status):
        assert not ENGLISH_WORDS.search(spanish_prose(text))


@pytest.mark.parametrize(
    ("typed", "blames_the_setting"), [(True, False), (False, True), (None, True)]
)
def test_a_refused_platform_in_spanish(typed: bool | None, blames_the_setting: bool) -> None:
    with speaking(SPANISH):
        said = explain(PermissionDenied(403), action="contact", ref=HOME, platform_typed=typed)
        unnamed = explain(PermissionDenied(403), action="contact", platform_typed=typed)
    assert said.startswith("WhatsApp 59899000001 no pertenece a la cuenta de Hey Now de esta app.")
    assert unnamed.startswith("Esa plataforma no pertenece")
    assert ("HEYNOW_DEFAULT_PLATFORM" in said) is blames_the_setting
    assert "un administrador sabe cuáles son" in said


def test_a_time_out_and_an_unknown_delivery_in_spanish() -> None:
    with speaking(SPANISH):
        timeout = explain(HeyNowTimeout(), action="send")
        unknown = explain(DeliveryUnknown(), action="send")
        refused = explain(BadRequest(400), action="send")
    assert timeout == (
        "Hey Now no responde en este momento (se agotó el tiempo de espera). Vuelve a "
        "intentarlo en un minuto. No se envió nada."
    )
    assert unknown.startswith("Hey Now no confirmó el envío, así que puede que haya salido o no.")
    assert "No se envió nada" not in unknown  # it may have gone out
    assert refused == "Hey Now no aceptó la solicitud (respondió 400). No se envió nada."


def test_what_hey_now_errors_say_is_said_when_asked_not_at_import() -> None:
    error = HeyNowTimeout()
    english = error.user_message()
    with speaking(SPANISH):
        assert error.user_message() != english
        assert explaining.oops().startswith("Algo falló de nuestro lado")
        assert explaining.out_of_date().startswith("Este botón ya no es válido")
        assert "`/heynow enviar CLIENTE TEXTO`" in explaining.form_unavailable()
        assert explaining.storage_down().startswith("La app no puede registrar")
    assert "`/heynow send CLIENT TEXT`" in explaining.form_unavailable()


def every_error_kind() -> list[type[HeyNowError]]:
    kinds = [HeyNowError]
    for kind in kinds:
        kinds.extend(kind.__subclasses__())
    return kinds


def test_every_error_and_vendor_phrase_has_its_text_in_both_languages() -> None:
    keys = {kind.message_key for kind in every_error_kind()}
    keys |= set(VENDOR_PHRASES.values()) | set(explaining._DENIED_ADVICE.values())
    for language in ("es", "en"):
        assert keys - set(catalogue(language)) == set()


# -- Hey Now's own words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"error": "Permisos insuficientes"}', "Permisos insuficientes"),
        ('{"message": "Contacto no encontrado"}', "Contacto no encontrado"),
        ('{"error": {"message": "Error interno"}}', "Error interno"),
        ('"Mensaje no encontrado"', "Mensaje no encontrado"),
        ("Recurso no encontrado\n", "Recurso no encontrado"),
        ("text\trequerido\x00", "text requerido"),
        ("<html><body><h1>502 Bad Gateway</h1></body></html>", None),
        ("<!DOCTYPE html><p>Mantenimiento</p>", None),
        ('{"error": "<html>Error</html>"}', None),
        ('{"error": "Permisos insu', None),  # cut short
        ('{"status": 403}', None),
        ("[1, 2]", None),
        ("", None),
    ],
)
def test_the_vendors_words_of_an_error_body(body: str, words: str | None) -> None:
    assert vendor_words(body) == words


def test_the_vendors_words_are_bounded() -> None:
    said = vendor_words(" ".join(["palabra"] * 100))
    assert said is not None and len(said) <= VENDOR_WORDS_MAX and said.endswith("…")


@pytest.mark.parametrize(
    ("words", "key"),
    [
        ("Token no valido o autenticación no realizada", "heynow.vendor.token_invalid"),
        ("TOKEN NO VÁLIDO o autenticacion no realizada.", "heynow.vendor.token_invalid"),
        ("permisos   insuficientes", "heynow.vendor.permissions"),
        (
            "El canal valida contactos: envios masivos no permitidos",
            "heynow.vendor.mass_not_allowed",
        ),
        ("Algo que Hey Now no documenta", None),
    ],
)
def test_known_phrases_match_whatever_their_accents_and_case(words: str, key: str | None) -> None:
    assert vendor_phrase(words) == key


def test_a_spanish_reader_reads_the_vendors_words_as_they_are() -> None:
    error = PermissionDenied(403, '{"error": "Permisos insuficientes"}')
    with speaking(SPANISH):
        said = explain(error, action="contact", ref=HOME, platform_typed=True)
    assert said.endswith("En palabras de Hey Now: «Permisos insuficientes».")
    assert said.startswith("WhatsApp 59899000001 no pertenece")


def test_an_english_reader_reads_the_vendors_words_explained() -> None:
    error = PermissionDenied(403, '{"error": "Permisos insuficientes"}')
    said = explain(error, action="contact", ref=HOME, platform_typed=True)
    assert said.startswith("WhatsApp 59899000001 does not belong to this app's Hey Now account.")
    assert said.endswith(
        "In Hey Now's words: “Permisos insuficientes” (insufficient permissions: the platform "
        "does not belong to the app's credentials)."
    )


def test_a_plain_text_body_is_explained_too() -> None:
    said = explain(NotFound(404, "Mensaje no encontrado"), action="status", ref=HOME, subject="x")
    assert "“Mensaje no encontrado” (message not found)" in said


def test_an_unknown_phrase_is_quoted_and_marked_untranslated() -> None:
    error = BadRequest(422, '{"message": "El texto contiene caracteres no admitidos"}')
    said = explain(error, action="send")
    assert said == (
        "Hey Now did not accept the request (it answered 422). Nothing was sent. In Hey Now's "
        "words: “El texto contiene caracteres no admitidos” (in Spanish, untranslated)."
    )
    with speaking(SPANISH):
        assert explain(error, action="send").endswith(
            "En palabras de Hey Now: «El texto contiene caracteres no admitidos»."
        )


def test_an_html_error_page_is_not_shown() -> None:
    error = ServerError(502, "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>")
    said = explain(error, action="contact", ref=HOME)
    assert said == "Hey Now had an internal error. Try again in a minute."


def test_the_vendors_words_are_escaped_and_what_looks_like_markup_is_not_shown() -> None:
    said = explain(BadRequest(400, '{"error": "valor < 1 & > 0"}'), action="agenda")
    assert "“valor &lt; 1 &amp; &gt; 0”" in said
    pinging = explain(BadRequest(400, '{"error": "<!channel> hola"}'), action="agenda")
    assert "<!channel>" not in pinging and "hola" not in pinging


def test_a_refused_send_tells_its_sender_the_vendors_words_later(fresh_store) -> None:
    error = NotFound(404, '{"error": "El clientId no pertenece a la agenda del platformId"}')
    message = fresh_store.messages.get(fresh_store.messages.enqueue(dict(ROW)))
    assert message is not None
    payload = failure_params(error)
    english = sender_note(SenderNotice.REJECTED, message, payload)
    with speaking(SPANISH):
        spanish = sender_note(SenderNotice.REJECTED, message, payload)
    assert english.startswith("Not sent: 59891000001 is not in the agenda of WhatsApp")
    assert english.endswith("(the client is not in the platform's agenda).")
    assert spanish.startswith("No se envió: 59891000001 no está en la agenda de WhatsApp")
    assert spanish.endswith("«El clientId no pertenece a la agenda del platformId».")


def test_a_login_answer_is_never_shown() -> None:
    """A login's answer may echo what was sent: its body is never kept to be shown."""

    def server(request: httpx.Request) -> httpx.Response:
        status = 401 if b"wrong" in request.content else 403
        return httpx.Response(status, json={"error": f"name=bot password={request.content!r}"})

    for password, kind in (("wrong", InvalidCredentials), ("s3cret-pw", PermissionDenied)):
        client = HeyNowClient(
            base_url="https://heynow.test/api",
            user="bot",
            password=password,
            transport=httpx.MockTransport(server),
        )
        with pytest.raises(kind) as raised:
            client.login()
        assert raised.value.detail == "" and raised.value.vendor_words is None
        said = explain(raised.value, action="contact", ref=HOME)
        assert password not in said and password not in str(raised.value)
        with speaking(SPANISH):
            assert password not in explain(raised.value, action="contact", ref=HOME)


def test_the_simulators_errors_are_hey_nows_words() -> None:
    assert all(vendor_phrase(phrase) for phrase in VENDOR_PHRASES)
    assert heynow_errors.vendor_phrase("Falla simulada") == "heynow.vendor.simulated_fault"


def test_a_form_field_error_reads_as_plain_text_and_is_cut_between_words():
    from bot.mrkdwn import as_plain

    said = "`&lt;!channel&gt;` is not a valid *phone* number: " + "write it as 091 000 001 " * 10
    plain = as_plain(said, 150)
    assert plain.startswith("<!channel> is not a valid phone number: write it")
    assert len(plain) <= 150 and plain.endswith("…") and not plain.endswith(" …")
    assert as_plain("short & `sweet`", 150) == "short & sweet"
