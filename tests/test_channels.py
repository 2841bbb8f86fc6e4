import pytest

from bot.heynow.channels import Channel, PlatformRef, normalise_client_id


@pytest.mark.parametrize(
    ("word", "channel"),
    [
        ("1", Channel.WHATSAPP),
        ("whatsapp", Channel.WHATSAPP),
        ("FB", Channel.MESSENGER),
        ("3", Channel.TWITTER),
        ("webchat", Channel.WEBCHAT),
    ],
)
def test_channel_parses_numbers_and_names(word, channel):
    assert Channel.parse(word) is channel


def test_channel_refuses_unknown():
    with pytest.raises(ValueError, match="1 \\(WhatsApp\\)"):
        Channel.parse("7")


def test_platform_ref_round_trips():
    ref = PlatformRef.parse("whatsapp:59899000001")
    assert (ref.channel, ref.platform_id, str(ref)) == (
        Channel.WHATSAPP,
        "59899000001",
        "1:59899000001",
    )


@pytest.mark.parametrize("text", ["59899000001", "1:", "1:a/b", "9:123"])
def test_platform_ref_refuses_malformed(text):
    with pytest.raises(ValueError):
        PlatformRef.parse(text)


@pytest.mark.parametrize(
    "typed", ["091000001", "091 000 001", "+598 91 000 001", "59891000001", "(091) 000-001"]
)
def test_whatsapp_numbers_normalise_to_international_digits(typed):
    assert normalise_client_id(Channel.WHATSAPP, typed, "UY") == "59891000001"


def test_whatsapp_number_of_another_region():
    assert normalise_client_id(Channel.WHATSAPP, "011 15 2345 6789", "AR") == "5491123456789"


@pytest.mark.parametrize("typed", ["12345", "hello", "+598 1"])
def test_malformed_numbers_are_refused_in_plain_words(typed):
    with pytest.raises(ValueError, match="not a valid phone number"):
        normalise_client_id(Channel.WHATSAPP, typed, "UY")


def test_other_channels_keep_ids_but_refuse_path_characters():
    assert normalise_client_id(Channel.MESSENGER, "2458811223344556", "UY") == "2458811223344556"
    with pytest.raises(ValueError):
        normalise_client_id(Channel.TWITTER, "../login", "UY")


def test_text_limits_differ_per_channel():
    assert Channel.MESSENGER.text_limit < Channel.WHATSAPP.text_limit < Channel.TWITTER.text_limit
    assert not Channel.WEBCHAT.sends_single_messages
