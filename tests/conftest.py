"""Shared test settings (offline litellm, Ray on loopback) and the headless browser fixture.

When a real service is required is decided in one place: ``agentgym.testing.missing_service``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before anything imports litellm
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

from agentgym.testing import missing_service  # noqa: E402
from agentgym.testing.browser import headless_chromium, missing_browser  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for the page tests (one per module)."""
    message = missing_browser()
    if message:
        missing_service(message)
    with headless_chromium() as driver:
        yield driver
