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


@pytest.mark.parametrize("word", ["²", "١", "１"])
def test_a_channel_in_other_digits_is_refused_in_plain_words(word):
    # '²'.isdigit() is True but int('²') fails; '١' and '１' are digits int() would read.
    with pytest.raises(
        ValueError, match=f"`{word}` is not a Hey Now channel: use 1 \\(WhatsApp\\)"
    ):
        Channel.parse(word)


def test_a_platform_in_other_digits_is_refused_in_plain_words():
    with pytest.raises(ValueError, match="`²` is not a Hey Now channel"):
        PlatformRef.parse("²:59899000001")
    with pytest.raises(
        ValueError, match="`５９` is not a platform id: use letters a-z and digits 0-9"
    ):
        PlatformRef.parse("1:５９")


def test_an_id_in_other_digits_is_refused_in_plain_words_where_ids_are_opaque():
    with pytest.raises(ValueError, match="letters a-z and digits 0-9, no spaces"):
        normalise_client_id(Channel.MESSENGER, "٠٩١٠٠٠٠٠١", "UY")


def test_a_whatsapp_number_in_other_digits_is_read_as_the_digits_it_shows():
    # phonenumbers reads any script's decimal digits; the wire id is ASCII.
    assert normalise_client_id(Channel.WHATSAPP, "٠٩١٠٠٠٠٠١", "UY") == "59891000001"
