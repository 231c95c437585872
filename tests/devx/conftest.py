"""Fixtures for the developer-experience tests: real runs made with the real CLI, and headless Chromium."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from devx_helpers import CHROMEDRIVER, CHROMIUM, IN_CI, agentgym_cli


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
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        message = f"{CHROMIUM} and {CHROMEDRIVER} are needed; run `bash .ci/provision_browser.sh` (as root)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="agentgym-viewer-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
