"""One real SmolLM2 server per test session (loading the model is the slow part)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def smol_server():
    from agentgym.serve import start_server

    handle = start_server()
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def tokenizer(smol_server):
    from agentgym.serve import load_model

    return load_model().tokenizer  # the cached instance the server uses
