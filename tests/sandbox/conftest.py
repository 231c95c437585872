"""Sandbox fixtures: one warm pool per backend per module."""

from __future__ import annotations

import pytest
from sandbox_helpers import bwrap_or_skip, docker_or_skip


@pytest.fixture(scope="module")
def docker_sandbox():
    sb = docker_or_skip(call_timeout=3.0, pool_size=1)
    yield sb
    sb.close()


@pytest.fixture(scope="module")
def process_sandbox():
    from agentgym.sandbox.process import ProcessSandbox

    sb = ProcessSandbox(call_timeout=3.0, pool_size=1)
    yield sb
    sb.close()


@pytest.fixture(scope="module")
def bwrap_sandbox():
    from agentgym.sandbox.process import ProcessSandbox

    bwrap_or_skip()
    sb = ProcessSandbox(call_timeout=3.0, pool_size=1, use_bwrap=True)
    yield sb
    sb.close()
