"""Helpers shared by the sandbox tests (a plain module: test files import it by name)."""


from __future__ import annotations

import os
import shutil

import textwrap

import pytest

from agentgym.world import WorldSpec

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



def attack_world(source: str) -> WorldSpec:
    return WorldSpec(factory="agentgym.source_world:SourceWorld", config={
        "tools": [{"type": "function", "function": {"name": "attack", "description": "hostile",
                                                    "parameters": {"type": "object", "properties": {}}}},
                  {"type": "function", "function": {"name": "echo", "description": "benign",
                                                    "parameters": {"type": "object",
                                                                   "properties": {"x": {"type": "integer"}}}}}],
        "codes": {"attack": textwrap.dedent(source), "echo": "def echo(x, state):\n    state['x'] = x\n    return x\n"},
        "state": {}})
