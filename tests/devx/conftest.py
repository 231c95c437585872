"""Fixtures for the developer-experience tests: real runs made with the real CLI, and headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from devx_helpers import agentgym_cli



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

