"""Fixtures: a stand-in Slack on loopback, the real Runtime on it, and Slack's side of the app.

- `standin`: the SlackStandIn, served in a thread (`standin.url`).
- `make_runtime(database="app.db", start=True, **env)`: build a Runtime (more settings in `env`)
  and start its jobs; closed after the test.
- `runtime`: one Runtime built by make_runtime().
- `slack`: harness.Slack for `runtime`: signs and dispatches, reads the stand-in's calls.
- `sim`: the embedded simulator's /_sim/ controls; `db`: the database, read from outside.

After each test every call the stand-in received is checked with slack_sdk's models.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.app import Runtime, build_runtime
from bot.config import load_settings
from bot.httpserver import start_in_thread
from bot.local.standin import SlackStandIn
from tests.listeners.harness import (
    BOT_TOKEN,
    Database,
    Sim,
    Slack,
    app_env,
    check_call,
    listener_world,
)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn(token=BOT_TOKEN)
    server = start_in_thread(stand_in)
    stand_in.url = server.url  # type: ignore[attr-defined]
    yield stand_in
    server.stop()
    for call in stand_in.calls:
        check_call(call)


@pytest.fixture
def make_runtime(tmp_path: Path, standin: SlackStandIn) -> Iterator[Callable[..., Runtime]]:
    world = tmp_path / "world.json"
    world.write_text(json.dumps(listener_world()))
    started: list[Runtime] = []

    def make(database: str = "app.db", *, start: bool = True, **env: str) -> Runtime:
        settings = load_settings(
            app_env(
                standin.url,  # type: ignore[attr-defined]
                tmp_path / database,
                HEYNOW_SIMULATOR_CONFIG=str(world),
                **env,
            ),
            env_file=None,
        )
        runtime = build_runtime(settings)
        started.append(runtime)
        if start:
            runtime.start()
        return runtime

    yield make
    for runtime in started:
        runtime.close()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime()


@pytest.fixture
def slack(runtime: Runtime, standin: SlackStandIn) -> Slack:
    return Slack(runtime, standin, standin.url)  # type: ignore[attr-defined]


@pytest.fixture
def sim(runtime: Runtime) -> Sim:
    assert runtime.simulator is not None, "HEYNOW_URL must be unset: the simulator runs"
    return Sim(runtime.simulator.url)


@pytest.fixture
def db(runtime: Runtime) -> Database:
    return Database(runtime.settings.database_path)
