"""Helpers shared by the sandbox tests (a plain module: test files import it by name)."""


from __future__ import annotations

import shutil
import textwrap

from agentgym.testing import missing_service
from agentgym.world import WorldSpec

HOW_TO_DOCKER = ("needs a Docker daemon and the sandbox image; enable with `bash .ci/provision_docker.sh` "
                 "(starts dockerd offline, builds agentgym-sandbox:latest)")
HOW_TO_BWRAP = "needs bubblewrap for the process backend's isolation: apt-get install -y bubblewrap"


def docker_or_skip(**kwargs):
    from agentgym.errors import SandboxError
    from agentgym.sandbox.docker import DockerSandbox

    try:
        return DockerSandbox(**kwargs)
    except SandboxError as exc:
        missing_service(f"{HOW_TO_DOCKER} ({exc})")


def bwrap_or_skip() -> None:
    if shutil.which("bwrap") is None:
        missing_service(HOW_TO_BWRAP)



def attack_world(source: str) -> WorldSpec:
    return WorldSpec(factory="agentgym.source_world:SourceWorld", config={
        "tools": [{"type": "function", "function": {"name": "attack", "description": "hostile",
                                                    "parameters": {"type": "object", "properties": {}}}},
                  {"type": "function", "function": {"name": "echo", "description": "benign",
                                                    "parameters": {"type": "object",
                                                                   "properties": {"x": {"type": "integer"}}}}}],
        "codes": {"attack": textwrap.dedent(source), "echo": "def echo(x, state):\n    state['x'] = x\n    return x\n"},
        "state": {}})
