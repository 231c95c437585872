"""The rule for a missing real service: a failure in CI, a skip elsewhere."""

from __future__ import annotations

import pytest

import agentgym.testing as testing


def test_a_missing_service_fails_in_ci_and_is_skipped_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(testing, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="required in CI: no Docker daemon"):
        testing.missing_service("no Docker daemon")
    monkeypatch.setattr(testing, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="no Docker daemon"):
        testing.missing_service("no Docker daemon")
