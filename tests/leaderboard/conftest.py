"""Fixtures for the leaderboard tests: real runs of the calculator env, a real server process on loopback,
and real databases (a SQLite file; PostgreSQL when reachable, required in CI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from leaderboard_helpers import FlakyOraclePolicy, Server, free_port, make_run, reachable_postgres

from agentgym.policies import OraclePolicy


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real runs of the calculator test split: the oracle, and a policy that fails some episodes, each with
    2 samples per task and (smaller, for the many-uploads tests) with 1."""
    base = tmp_path_factory.mktemp("runs")
    return {"oracle": make_run(base / "oracle", OraclePolicy(), samples=2),
            "flaky": make_run(base / "flaky", FlakyOraclePolicy(), samples=2),
            "oracle-k1": make_run(base / "oracle-k1", OraclePolicy(), samples=1),
            "flaky-k1": make_run(base / "flaky-k1", FlakyOraclePolicy(), samples=1)}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'leaderboard.db'}"
    return reachable_postgres()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'leaderboard.db'}"


@pytest.fixture
def make_server() -> Iterator[Any]:
    """``make_server(db_url, *serve_args)`` starts a server; every one is stopped after the test."""
    servers: list[Server] = []

    def factory(url: str, *args: str) -> Server:
        server = Server(url, free_port(), ["--rate-limit", "10000/minute", *args])
        servers.append(server)
        return server.start()

    yield factory
    for s in servers:
        s.stop()
