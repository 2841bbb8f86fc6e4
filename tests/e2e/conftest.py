import pytest

from bot.httpserver import start_in_thread
from bot.local.standin import SlackStandIn
from tests.e2e.harness import (
    BOT_TOKEN,
    AppProcess,
    SimulatorProcess,
    SlackUser,
    app_env,
    demo_world,
)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def slack():
    standin = SlackStandIn(token=BOT_TOKEN)
    server = start_in_thread(standin)
    standin.url = server.url
    yield standin
    server.stop()


@pytest.fixture(scope="session")
def sim(workdir):
    process = SimulatorProcess(workdir, demo_world(), step_seconds=0.3)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def app(workdir, slack, sim):
    process = AppProcess(workdir, app_env(slack.url, sim.url, workdir / "app.db"))
    yield process
    process.stop()


@pytest.fixture
def person(app, slack):
    return SlackUser(app, slack.url)


def pytest_terminal_summary(terminalreporter):
    """Report (not assert) how fast the app answered Slack's requests during the run."""
    from tests.e2e.harness import ACK_SECONDS

    if ACK_SECONDS:
        times = sorted(ACK_SECONDS)
        terminalreporter.write_line(
            f"Slack requests answered by the app: {len(times)}; median "
            f"{times[len(times) // 2] * 1000:.0f} ms, slowest {times[-1] * 1000:.0f} ms "
            "(Slack allows 3000 ms; bench/ack.py measures it under load)"
        )
