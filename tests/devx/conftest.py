"""Fixtures for the developer-experience tests: real runs made with the real CLI, and headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from devx_helpers import IN_CI, agentgym_cli

from agentgym.testing.browser import headless_chromium, missing_browser


@pytest.fixture(scope="session")
def run_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Calculator runs (the oracle, the oracle under 30% tool failures, a losing random policy) and a random
    policy on cctu, whose episodes break constraints (violations, per-turn reward components)."""
    base = tmp_path_factory.mktemp("viewer-runs")
    specs = {"clean": ["--policy", "oracle"],
             "noisy": ["--policy", "oracle", "--noise", "tool:failure=0.3"],
             "random": ["--policy", "random", "--limit", "8"],
             "cctu": ["--policy", "random", "--limit", "2"]}
    for name, args in specs.items():
        env = "cctu" if name == "cctu" else "calculator"
        agentgym_cli("run", env, *args, "--out", str(base / name), "--quiet", cwd=base)
    return {name: base / name for name in specs}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    message = missing_browser()
    if message:
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with headless_chromium() as driver:
        yield driver
