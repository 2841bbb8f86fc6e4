"""What bot/slack/render.py and forms.py say, in Spanish and English: each channel in its own
words (ticks only on WhatsApp), times in the reader's zone, counts in the language's plural,
the help in the command words of the reader's language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.domain import Outcome, Reply, SendState, Status
from bot.heynow import Contact, PlatformRef
from bot.heynow.channels import Channel
from bot.i18n import LANGUAGES, Texts, speaking
from bot.i18n.catalog import catalogue
from bot.services.lookups import AgendaPage, StatusAnswer
from bot.slack import forms, render
from tests.history_fakes import history_of
from tests.listeners.harness import check_blocks, check_view
from tests.test_blockkit import texts
from tests.test_render import MESSAGE

MONTEVIDEO = Texts.of("es", "America/Montevideo")
AT = 1796144700  # 2026-12-01 17:05 UTC: 14:05 in Montevideo
WHATSAPP = PlatformRef.parse("1:59899000001")
TICKS = re.compile(r"\bticks?\b", re.IGNORECASE)


@pytest.fixture
def spanish() -> Iterator[Texts]:
    with speaking(MONTEVIDEO) as texts_:
        yield texts_


def on(channel: Channel, **changes: object):
    """MESSAGE as sent through `channel`."""
    return replace(MESSAGE, channel_id=int(channel), **changes)


# -- Spanish ------------------------------------------------------------------------------------


def test_the_channel_post_in_spanish(spanish):
    text, blocks = render.tracking_message(replace(MESSAGE, validate=0))
    head = blocks[0]["text"]["text"]
    assert head.startswith(
        "<@U1> envió un mensaje a *&lt;!here&gt; Bob &amp; Co* (59891000001) por WhatsApp 59899000001"
        "\n:information_source: Enviado sin verificar la agenda: el cliente puede recibirlo desde "
        "el número alternativo del bot de la plataforma y no desde este."
    )
    status = blocks[-1]["elements"][0]["text"]
    assert status == (
        ":heavy_check_mark::heavy_check_mark: Entregado (dos ticks: en el teléfono del cliente)"
        " · #7 · idMessageHey `abc`"
    )
    assert text == (
        "Mensaje a &lt;!here&gt; Bob &amp; Co: "
        ":heavy_check_mark::heavy_check_mark: Entregado (dos ticks: en el teléfono del cliente)"
    )


def test_what_a_spanish_post_leaves_out_is_counted_in_spanish(spanish):
    _, blocks = render.tracking_message(on(Channel.TWITTER, text="&" * 10_000))
    note = blocks[-2]["elements"][0]["text"]
    assert re.fullmatch(
        r":scissors: Slack no puede mostrar todo este mensaje en una sola publicación: "
        r"los últimos \d\.\d{3} caracteres no se muestran aquí\.",
        note,
    ), note
    assert render._not_shown(1).endswith("el último carácter no se muestra aquí.")


def test_a_thread_reply_says_the_time_in_the_readers_zone_and_locale(spanish):
    delivered = render.thread_update(Reply.DELIVERED, replace(MESSAGE, ru_at=AT))
    assert delivered == (
        ":heavy_check_mark::heavy_check_mark: "
        "Entregado a &lt;!here&gt; Bob &amp; Co (dos ticks) el 1 dic. 2026, 14:05."
    )
    read = render.thread_update(Reply.READ, on(Channel.MESSENGER, lu_at=AT))
    assert read.endswith("Visto por &lt;!here&gt; Bob &amp; Co el 1 dic. 2026, 14:05.")
    with speaking(Texts.of("en", "America/New_York")):
        english = render.thread_update(Reply.DELIVERED, replace(MESSAGE, ru_at=AT))
    assert english.endswith("(two ticks) on Dec 1, 2026, 12:05\u202fPM.")


def test_a_reply_without_its_time_says_none(spanish):
    assert render.thread_update(Reply.READ, replace(MESSAGE, lu_at=None)).endswith(
        "Leído por &lt;!here&gt; Bob &amp; Co (ticks azules)."
    )


def test_a_stuck_reply_keeps_the_channels_name_in_the_middle_of_its_sentence(spanish):
    stuck = render.thread_update(Reply.STUCK, replace(MESSAGE, status=Status.ONE_TICK))
    assert "sigue *enviado (un tick: en el servidor de WhatsApp)*" in stuck
    assert stuck.startswith(":warning: Todavía no se entregó a &lt;!here&gt; Bob &amp; Co:")


def test_the_history_in_spanish(spanish):
    blocks = history_of([replace(MESSAGE, posted_channel="C0SUPPORT")])
    check_blocks(blocks)
    assert blocks[0]["text"]["text"] == "*Tus mensajes* · últimos 7 días"
    assert blocks[1]["text"]["text"].splitlines() == [
        "`#7` · 14 nov. 2023, 19:13 · a *&lt;!here&gt; Bob &amp; Co* (59891000001)"
        " por WhatsApp 59899000001",
        ":heavy_check_mark::heavy_check_mark: Entregado (dos ticks: en el teléfono del cliente)",
        "> &lt;@U2&gt; hello &amp; bye",
        "publicado en <#C0SUPPORT>",
    ]
    assert blocks[-1]["elements"][0]["text"].startswith("`/heynow estado ID` para seguir uno")
    assert "No se envió nada en ese período." in history_of([])[1]["text"]["text"]


def test_status_reports_in_spanish(spanish):
    ours = render.status_report(StatusAnswer(Status.DELIVERED, WHATSAPP, "7", MESSAGE))
    assert ours[0]["text"]["text"].startswith(
        "*&lt;!here&gt; Bob &amp; Co* (59891000001) por WhatsApp 59899000001: "
    )
    messenger = PlatformRef.parse("2:104857600123456")
    any_ = render.status_report(StatusAnswer(Status.READ, messenger, "m-1", None))
    assert any_[0]["text"]["text"] == (
        "Mensaje `m-1` en Messenger 104857600123456: "
        ":ballot_box_with_check::ballot_box_with_check: Visto por el cliente"
    )


def test_the_agenda_counts_contacts_in_spanish(spanish):
    one = render.agenda_page(AgendaPage([Contact("1", "Ana")], WHATSAPP, "", 1, 1, 1))
    assert one[0]["text"]["text"] == "*Agenda de WhatsApp 59899000001*: 1 contacto"
    two = [Contact("1", "Ana"), Contact("2", None)]
    page = render.agenda_page(AgendaPage(two, WHATSAPP, "an", 2, 3, 2))
    check_blocks(page)
    assert page[0]["text"]["text"].endswith("que coincide con “an”: 2 contactos")
    assert "(sin nombre)" in page[1]["text"]["text"]
    assert page[2]["elements"][0]["text"].startswith("Página 2 de 3 · `/heynow contacto 1:")
    labels = [b["text"]["text"] for b in page[-1]["elements"]]
    assert labels == ["← Anterior", "Siguiente →"]
    many = render.agenda_page(AgendaPage(two, WHATSAPP, "", 1, 83, 1234))
    assert many[0]["text"]["text"].endswith(": 1.234 contactos")
    empty = render.agenda_page(AgendaPage([], WHATSAPP, "zz", 1, 1, 0))
    assert empty[0]["text"]["text"] == (
        "No hay contactos que coincidan con “zz” en la agenda de WhatsApp 59899000001."
    )


def test_the_agenda_counts_contacts_in_english():
    one = render.agenda_page(AgendaPage([Contact("1", "Ana")], WHATSAPP, "", 1, 1, 1))
    two = render.agenda_page(AgendaPage([Contact("1", "Ana")], WHATSAPP, "", 1, 1, 2))
    assert one[0]["text"]["text"].endswith(": 1 contact")
    assert two[0]["text"]["text"].endswith(": 2 contacts")


def test_a_contact_card_in_spanish(spanish):
    contact = Contact("59891000005", "Lucía", phones=("+59891000005",), timezone="-3")
    card = "\n".join(texts(render.contact_card(contact, WHATSAPP)))
    assert "*Id de cliente:* `59891000005`\n*Plataforma:* WhatsApp 59899000001" in card
    assert "*Teléfonos:* +59891000005" in card and "*Zona horaria:* -3" in card
    assert "`/heynow enviar 1:59899000001 59891000005 …`" in card


def test_the_simulated_mark_in_spanish(spanish):
    marked = render.simulated({"text": "hola"})
    assert marked["blocks"][-1]["elements"][0]["text"].startswith(":test_tube: *Simulado*:")
    assert render.simulated_mark().startswith(":test_tube: *Simulado*:")


# -- the help and the form ----------------------------------------------------------------------


def help_text(default: PlatformRef | None = WHATSAPP) -> str:
    return "\n".join(texts(forms.help_blocks(default)))


def test_the_help_in_spanish_lists_the_spanish_words(spanish):
    shown = help_text()
    check_blocks(forms.help_blocks(WHATSAPP))
    assert "`/heynow enviar [--sin-validar] [CANAL:PLATAFORMA] CLIENTE TEXTO`" in shown
    for usage in (
        "`/heynow estado ID`",
        "`/heynow historial [@persona] [CLIENTE] [--dias N] [--csv]`",
        "`/heynow contacto [CANAL:PLATAFORMA] CLIENTE`",
        "`/heynow agenda [CANAL:PLATAFORMA] [TEXTO]`",
        "`/heynow ayuda`",
    ):
        assert usage in shown
    assert "/heynow send" not in shown and "[CHANNEL" not in shown
    assert "También valen las palabras en inglés: `send`, `status`" in shown
    assert "`--no-validate`, `--days`." in shown  # once: as the other language's words
    assert "predeterminada, `1:59899000001` (WhatsApp 59899000001)" in shown
    assert "ticks azules en WhatsApp; “Entregado” y “Visto” en Messenger y Twitter" in shown
    assert "Enviar un mensaje" in forms.help_blocks(None)[-1]["elements"][0]["text"]["text"]
    assert "No hay una plataforma predeterminada" in help_text(None)


def test_the_help_in_english_lists_the_english_words():
    shown = help_text()
    assert "`/heynow send [--no-validate] [CHANNEL:PLATFORM] CLIENT TEXT`" in shown
    for word in ("status", "history", "contact", "agenda", "help"):
        assert f"`/heynow {word}" in shown
    assert "/heynow enviar" not in shown
    assert "The Spanish words work too: `enviar`, `estado`, `historial`, `contacto`" in shown
    assert "`ayuda`, `--sin-validar`, `--dias`." in shown
    assert "`/heynow history [@person] [CLIENT] [--days N] [--csv]`" in shown
    assert "blue ticks on WhatsApp; “Delivered” and “Seen” on Messenger and Twitter" in shown


def test_the_send_form_in_spanish(spanish):
    view = forms.send_form(WHATSAPP, "C1")
    check_view(view)
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Enviar por Hey Now",
        "Enviar",
        "Cancelar",
    )
    labels = [b["label"]["text"] for b in view["blocks"]]
    assert labels == ["Desde (CANAL:PLATAFORMA)", "Para (cliente)", "Mensaje", "Opciones"]
    hints = [b["hint"]["text"] for b in view["blocks"] if "hint" in b]
    assert hints == [
        "1 WhatsApp, 2 Messenger, 3 Twitter, y después nuestro id",
        "En WhatsApp, el número de teléfono; en los demás canales, el id del cliente",
    ]
    (option,) = view["blocks"][3]["element"]["options"]
    assert option["text"]["text"] == "Enviar aunque no esté en la agenda"
    assert option["description"]["text"].endswith("solo donde la plataforma lo permite")
    assert option["value"] == "no-validate"  # what handlers/views reads back, in any language


def test_the_send_form_says_every_text_in_each_language():
    with speaking(Texts.of("en")):
        english = texts(forms.send_form(WHATSAPP, "C1"))
    with speaking(MONTEVIDEO):
        spanish = texts(forms.send_form(WHATSAPP, "C1"))
    same = {e for e, s in zip(english, spanish, strict=True) if e == s}
    assert same == {"1:59899000001"}  # the placeholder: an example of CHANNEL:PLATFORM


# -- each channel in its own words --------------------------------------------------------------

EVERY_STATE = [
    {"send_state": state, "status": status, "outcome": outcome}
    for state in SendState
    for status in Status
    for outcome in (None, *Outcome)
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("channel", [Channel.MESSENGER, Channel.TWITTER, Channel.WEBCHAT])
def test_no_channel_but_whatsapp_speaks_of_ticks(language, channel):
    with speaking(Texts.of(language)):
        for status in Status:
            assert not TICKS.search(render.status_words(status, channel))
        for state in EVERY_STATE:
            message = on(channel, ru_at=AT, lu_at=AT, **state)
            assert not TICKS.search(render.status_line(message)), state
            assert not TICKS.search(render.tracking_message(message)[0])
            for kind in Reply:
                assert not TICKS.search(render.thread_update(kind, message)), (kind, state)
                assert not TICKS.search(render.thread_update(kind, replace(message, ru_at=None)))


@pytest.mark.parametrize("language", LANGUAGES)
def test_whatsapp_speaks_of_ticks(language):
    with speaking(Texts.of(language)):
        for status in (Status.ONE_TICK, Status.DELIVERED, Status.READ):
            assert TICKS.search(render.status_words(status, Channel.WHATSAPP)), status
        message = on(Channel.WHATSAPP, status=Status.ONE_TICK, ru_at=AT, lu_at=AT)
        for kind in (Reply.DELIVERED, Reply.READ, Reply.STUCK):
            assert TICKS.search(render.thread_update(kind, message)), kind
    assert "ticks azules" in MONTEVIDEO("status.read.whatsapp")
    assert "dos ticks" in MONTEVIDEO("status.delivered.whatsapp")
    assert "un tick" in MONTEVIDEO("status.one_tick.whatsapp")


# -- the keys the code makes up -----------------------------------------------------------------


def made_up_keys() -> set[str]:
    """Every key render.py and forms.py build with an f-string."""
    channels = [render.channel_kind(channel) for channel in Channel]
    keys = {f"status.{render.STATUS_KEYS[s]}.{c}" for s in Status for c in channels}
    keys |= {f"send_state.{s.value}" for s in SendState if s is not SendState.SENT}
    keys |= {f"outcome.{o.value}" for o in render.OUTCOMES_SHOWN}
    for c in channels:
        for reply in ("delivered", "read"):
            keys |= {f"reply.{reply}.{c}", f"reply.{reply}.{c}_at"}
        keys |= {f"reply.stuck.{c}", f"reply.gave_up_delivered.{c}"}
    keys |= {f"card.{detail}" for detail in render.CARD_DETAILS}
    keys |= {"agenda.prev", "agenda.next"}
    keys |= {f"help.{line}" for line in forms.HELP_LINES}
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_made_up_in_code_is_in_the_catalogue(language):
    assert sorted(made_up_keys() - set(catalogue(language))) == []


def test_every_status_of_every_channel_has_its_words_in_both_languages():
    for language in LANGUAGES:
        for channel in Channel:
            words = {
                catalogue(language)[f"status.{k}.{channel.name.lower()}"]
                for k in ("one_tick", "delivered", "read")
            }
            assert len(words) == 3, (language, channel)  # each status says something else


ENGLISH = re.compile(
    r"\b(the|and|to|of|is|not|yet|you|your|message|sent|send|delivered|read|seen|contact|"
    r"page|previous|next|cancel|name|phones?|from|with|by|on|in|at)\b",
    re.IGNORECASE,
)


# The areas of the catalogues that render.py and forms.py say.
AREAS = ("status", "send_state", "outcome", "post", "reply", "history", "report", "card")
AREAS += ("agenda", "simulated", "help", "form")


def test_no_english_is_left_in_the_spanish_texts():
    """Outside `code` (the other language's command words, examples) and placeholders, no
    English word."""
    left = {
        key: found
        for key, text in catalogue("es").items()
        if key.split(".")[0] in AREAS
        for found in [ENGLISH.findall(re.sub(r"`[^`]*`|\{\w+\}", "", text))]
        if found
    }
    assert left == {}
