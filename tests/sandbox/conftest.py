"""Sandbox fixtures. Docker tests need a daemon and the image: skipped with a how-to outside CI, failed in CI."""

from __future__ import annotations

import os
import shutil

import pytest

#: same rule as tests/conftest.py: in CI a missing service is a failure, not a skip
IN_CI = bool(os.environ.get("AGENTGYM_CI") or os.environ.get("CI"))

HOW_TO_DOCKER = ("needs a Docker daemon and the sandbox image; enable with `bash .ci/provision_docker.sh` "
                 "(starts dockerd offline, builds agentgym-sandbox:latest)")
HOW_TO_BWRAP = "needs bubblewrap for the process backend's isolation: apt-get install -y bubblewrap"


def docker_or_skip(**kwargs):
    from agentgym.errors import SandboxError
    from agentgym.sandbox.docker import DockerSandbox

    try:
        return DockerSandbox(**kwargs)
    except SandboxError as exc:
        if IN_CI:
            pytest.fail(f"Docker is required in CI: {exc}")
        pytest.skip(f"{HOW_TO_DOCKER} ({exc})")


def bwrap_or_skip() -> None:
    if shutil.which("bwrap") is None:
        if IN_CI:
            pytest.fail(f"bubblewrap is required in CI: {HOW_TO_BWRAP}")
        pytest.skip(HOW_TO_BWRAP)


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
