import pytest

from bot.config import ConfigError, load_settings

SLACK = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def settings(**env):
    return load_settings(env, env_file=None)


def test_defaults_run_locally_on_the_simulator():
    s = settings()
    assert s.local_mode and s.uses_simulator and not s.socket_mode
    assert str(s.heynow_default_platform) == "1:59899000001"
    assert (s.heynow_default_region, s.port, s.slack_api_url) == (
        "UY",
        3000,
        "https://slack.com/api/",
    )
    assert (s.language, s.timezone) == ("es", "America/Montevideo")  # the team is in Uruguay


def test_mass_sends_are_read_and_off_by_default():
    assert not settings().mass.enabled
    s = settings(
        HEYNOW_APPROVALS_CHANNEL="C0APPROVE",
        HEYNOW_APPROVERS="U0ANA S0LEADS",
        HEYNOW_MASS_PLATFORMS="2:104857600123456=Facebook",
        HEYNOW_MASS_RATE="50",
        HEYNOW_QUIET_HOURS="21:00-09:00",
        HEYNOW_TIMEZONE="America/Montevideo",
    )
    mass = s.mass
    assert mass.enabled and mass.approvers == ("U0ANA", "S0LEADS")
    assert [(str(p.ref), p.label) for p in mass.platforms] == [("2:104857600123456", "Facebook")]
    assert (mass.rate, mass.max_recipients, mass.max_failures, mass.approval_expiry_hours) == (
        50,
        10_000,
        10,
        24,
    )
    assert mass.quiet_hours is not None and mass.quiet_hours.zone == "America/Montevideo"
    assert not mass.allow_self_approval


def test_the_fallback_language_and_zone_are_read():
    s = settings(HEYNOW_LANGUAGE="EN", HEYNOW_TIMEZONE="Europe/Madrid")
    assert (s.language, s.timezone) == ("en", "Europe/Madrid")


def test_every_named_variable_is_read():
    s = settings(
        **SLACK,
        SLACK_APP_TOKEN="xapp-1",
        SLACK_API_URL="http://127.0.0.1:9/api/",
        HEYNOW_URL="https://web.heynow.com.uy:8310/api",
        HEYNOW_USER="me",
        HEYNOW_PASSWORD="pw",
        HEYNOW_DEFAULT_PLATFORM="2:123",
        HEYNOW_DEFAULT_REGION="ar",
        HEYNOW_POLL_SECONDS="2",
        HEYNOW_POLL_MAX_SECONDS="60",
        HEYNOW_STUCK_MINUTES="10",
        HEYNOW_POLL_GIVE_UP_HOURS="24",
        DATABASE_PATH="/tmp/x.db",
        HOST="0.0.0.0",
        PORT="8080",
    )
    assert s.socket_mode and not s.local_mode and not s.uses_simulator
    assert (s.heynow_user, str(s.heynow_default_platform), s.heynow_default_region) == (
        "me",
        "2:123",
        "AR",
    )
    assert (s.poll_seconds, s.poll_max_seconds, s.stuck_minutes, s.poll_give_up_hours) == (
        2,
        60,
        10,
        24,
    )
    assert (s.database_path, s.host, s.port, s.slack_api_url) == (
        "/tmp/x.db",
        "0.0.0.0",
        8080,
        "http://127.0.0.1:9/api/",
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({**SLACK, "SLACK_APP_TOKEN": "abc"}, "SLACK_APP_TOKEN"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
        ({"HEYNOW_URL": "ftp://x"}, "HEYNOW_URL"),
        ({"HEYNOW_URL": "https://x/api", "HEYNOW_USER": "u"}, "HEYNOW_PASSWORD"),
        ({"HEYNOW_POLL_SECONDS": "soon"}, "HEYNOW_POLL_SECONDS"),
        ({"HEYNOW_POLL_SECONDS": "-1"}, "HEYNOW_POLL_SECONDS"),
        ({"HEYNOW_POLL_SECONDS": "10", "HEYNOW_POLL_MAX_SECONDS": "5"}, "HEYNOW_POLL_MAX_SECONDS"),
        ({"HEYNOW_STUCK_MINUTES": "0"}, "HEYNOW_STUCK_MINUTES"),
        ({"HEYNOW_POLL_GIVE_UP_HOURS": "nan"}, "HEYNOW_POLL_GIVE_UP_HOURS"),
        ({"HEYNOW_DEFAULT_PLATFORM": "59899"}, "HEYNOW_DEFAULT_PLATFORM"),
        ({"HEYNOW_DEFAULT_REGION": "Uruguay"}, "HEYNOW_DEFAULT_REGION"),
        ({"PORT": "99999"}, "PORT"),
        ({"SLACK_API_URL": "slack.com"}, "SLACK_API_URL"),
        ({"HEYNOW_LANGUAGE": "pt"}, "HEYNOW_LANGUAGE"),
        ({"HEYNOW_APPROVALS_CHANNEL": "#aprobaciones"}, "HEYNOW_APPROVALS_CHANNEL"),
        ({"HEYNOW_APPROVALS_CHANNEL": "C0APPROVE"}, "HEYNOW_APPROVERS"),
        ({"HEYNOW_APPROVERS": "@ana"}, "HEYNOW_APPROVERS"),
        ({"HEYNOW_MASS_PLATFORMS": "2"}, "HEYNOW_MASS_PLATFORMS"),
        (
            {"HEYNOW_PLATFORMS": "1:59899000001", "HEYNOW_MASS_PLATFORMS": "2:104857600123456"},
            "HEYNOW_MASS_PLATFORMS",
        ),
        ({"HEYNOW_MASS_RATE": "0"}, "HEYNOW_MASS_RATE"),
        ({"HEYNOW_MASS_RATE": "5000"}, "HEYNOW_MASS_RATE"),
        ({"HEYNOW_MASS_MAX_RECIPIENTS": "10.5"}, "HEYNOW_MASS_MAX_RECIPIENTS"),
        ({"HEYNOW_MASS_MAX_FAILURES": "many"}, "HEYNOW_MASS_MAX_FAILURES"),
        ({"HEYNOW_QUIET_HOURS": "night"}, "HEYNOW_QUIET_HOURS"),
        ({"HEYNOW_QUIET_HOURS": "25:00-09:00"}, "HEYNOW_QUIET_HOURS"),
        ({"HEYNOW_TIMEZONE": "Montevideo"}, "HEYNOW_TIMEZONE"),
        ({"HEYNOW_TIMEZONE": "../../etc/passwd"}, "HEYNOW_TIMEZONE"),
    ],
)
def test_an_invalid_value_names_its_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        settings(**env)


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nHEYNOW_DEFAULT_REGION=AR\n")
    s = load_settings({"PORT": "5000"}, env_file=env_file)
    assert (s.port, s.heynow_default_region) == (5000, "AR")


def test_secrets_are_not_in_the_repr():
    s = settings(**SLACK, HEYNOW_URL="https://x/api", HEYNOW_USER="u", HEYNOW_PASSWORD="hunter2")
    assert "hunter2" not in repr(s) and "xoxb-1" not in repr(s)


def test_a_database_in_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="DATABASE_PATH"):
        settings(DATABASE_PATH=str(tmp_path / "nowhere" / "x.db"))


def test_a_simulator_world_must_exist():
    with pytest.raises(ConfigError, match="HEYNOW_SIMULATOR_CONFIG"):
        settings(HEYNOW_SIMULATOR_CONFIG="/no/such/world.json")


def test_a_real_workspace_without_hey_now_stops_unless_the_simulator_is_asked_for():
    with pytest.raises(ConfigError, match="HEYNOW_URL is not set.*HEYNOW_SIMULATOR=true"):
        settings(**SLACK)
    assert settings(**SLACK, HEYNOW_SIMULATOR="true").heynow_simulator
    assert not settings().heynow_simulator  # local mode: the stand-in Slack, not a workspace


def test_the_platforms_a_workspace_may_use_are_read_with_their_labels():
    s = settings(HEYNOW_PLATFORMS="1:59899000001=Ventas WhatsApp, 2:104857600123456")
    assert [(str(p.ref), p.label) for p in s.heynow_platforms] == [
        ("1:59899000001", "Ventas WhatsApp"),
        ("2:104857600123456", "Messenger 104857600123456"),
    ]


@pytest.mark.parametrize(
    "env, named",
    [
        ({"HEYNOW_PLATFORMS": "7:123"}, "HEYNOW_PLATFORMS"),
        ({"HEYNOW_PLATFORMS": "1:59899000001,1:59899000001"}, "twice"),
        ({"HEYNOW_PLATFORMS": "2:104857600123456"}, "HEYNOW_DEFAULT_PLATFORM 1:59899000001 is not"),
        ({"HEYNOW_SENDERS": "U123,alice"}, "'alice'"),
        ({"HEYNOW_SIMULATOR": "maybe"}, "HEYNOW_SIMULATOR must be true or false"),
    ],
)
def test_who_may_do_what_is_checked_at_start_up(env, named):
    with pytest.raises(ConfigError, match=named):
        settings(**env)


def test_senders_are_user_and_group_ids():
    assert settings(HEYNOW_SENDERS="U0ANA, S0TEAM W0BOB").heynow_senders == (
        "U0ANA",
        "S0TEAM",
        "W0BOB",
    )
