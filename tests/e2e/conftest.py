import copy

import pytest

from bot.httpserver import start_in_thread
from bot.local.standin import SlackStandIn
from bot.simulator import load_config
from tests.e2e.harness import BOT_TOKEN, AppProcess, SimulatorProcess, SlackUser, app_env

EVIL_CLIENT = "59891000066"


def simulator_world() -> dict:
    """The demo world, plus a contact whose name tries to ping everyone and a 33-contact agenda."""
    world = copy.deepcopy(load_config())
    world["platforms"][0]["contacts"].append(
        {"client_id": EVIL_CLIENT, "first_name": "<!channel>", "last_name": "Eve & <@U0BOSS>"}
    )
    twitter = next(p for p in world["platforms"] if p["channel"] == 3)
    twitter["contacts"] += [
        {"client_id": f"16000000000000000{n:02d}", "first_name": f"Cliente {n:02d}"}
        for n in range(1, 33)
    ]
    return world


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
    process = SimulatorProcess(workdir, simulator_world(), step_seconds=0.3)
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
