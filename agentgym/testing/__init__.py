"""Test support shipped with agentgym: loopback fake servers for what cannot run here, a headless browser,
and the one rule for a real service that is missing."""

from __future__ import annotations

import os
from typing import NoReturn

#: In CI (``.ci/run`` sets ``CI``) a missing real service is a failure, not a skip.
IN_CI = bool(os.environ.get("AGENTGYM_CI") or os.environ.get("CI"))


def missing_service(message: str) -> NoReturn:
    """Fail the test in CI, where every real service must be there; skip it elsewhere. ``message`` says what
    is missing and how to provide it."""
    import pytest

    if IN_CI:
        pytest.fail(f"required in CI: {message}")
    pytest.skip(message)
