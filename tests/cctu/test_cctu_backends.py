"""The same CCTU task gives the same trajectory on every sandbox backend, task-supplied checkers included."""

from __future__ import annotations

from pathlib import Path

import agentgym
import pytest

from agentgym.errors import SandboxError
from agentgym.sandbox import make_sandbox
from agentgym.testing import missing_service
from agentgym.types import Message, ToolCall

DATA = Path(__file__).parent / "fixtures" / "official"
HOW_TO = {"docker": "needs a Docker daemon and the sandbox image; enable with `bash .ci/provision_docker.sh`"}


def sandbox_or_skip(name: str):
    try:
        return make_sandbox(name)
    except SandboxError as exc:
        missing_service(f"the {name} sandbox: {HOW_TO.get(name, name)} ({exc})")


def oracle_digests(sandbox) -> dict[str, str]:
    env = agentgym.make("cctu", sandbox=sandbox)
    tasks = {t.category: t for t in env.tasks}  # the last task of each data source
    out = {}
    try:
        for task in tasks.values():
            env.reset(seed=0, options={"task_id": task.id})
            oracle = env.make_oracle(task)
            while not env.done:
                env.step(oracle.act(env.messages))
            assert env.metrics["psr"], task.id
            out[task.id] = env.trajectory().digest()
    finally:
        env.close()
    return out


def official_refinement(sandbox) -> tuple[dict, str]:
    env = agentgym.make("cctu", data=DATA, sandbox=sandbox)
    try:
        env.reset(seed=0, options={"task_id": "fx-1"})
        for content, calls in [("", [("get_city_code", {"city": "Paris"})]),
                               ("", [("get_weather", {"city_code": "FR-PAR", "date": "2025-05-01"})]),
                               ("21.5!", []), ('{"temperature": "21.5"}', [])]:
            env.step(Message.assistant(content, [ToolCall(id=f"c{i}", name=n, arguments=a)
                                                 for i, (n, a) in enumerate(calls)]))
        return env.metrics, env.trajectory().digest()
    finally:
        env.close()


@pytest.mark.parametrize("backend", [pytest.param("process", marks=pytest.mark.slow),
                                     pytest.param("docker", marks=[pytest.mark.docker, pytest.mark.slow])])
def test_trajectories_match_the_local_backend(backend):
    sandbox = sandbox_or_skip(backend)
    try:
        assert oracle_digests(sandbox) == oracle_digests("local")
        metrics, digest = official_refinement(sandbox)
        assert metrics["sr"] and not metrics["psr"]
        assert (metrics, digest) == official_refinement("local")
    finally:
        sandbox.close()
