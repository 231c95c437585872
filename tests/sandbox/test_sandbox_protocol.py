"""The one protocol behind every backend: same task + same actions → same trajectory; sessions behave alike."""

from __future__ import annotations

import asyncio

import pytest

import agentgym
from agentgym.errors import SandboxError
from agentgym.sandbox import LocalSandbox
from agentgym.types import ToolCall
from agentgym.world import WorldSpec

CALC = WorldSpec(factory="agentgym.envs.calculator.world:CalculatorWorld",
                 config={"state": {"constants": {"rate": 7}}})
TASK_IDS = ["calc-test-0000", "calc-test-0001", "calc-test-0002", "calc-test-0005"]


def oracle_digests(sandbox) -> list[str]:
    env = agentgym.make("calculator", split="test", sandbox=sandbox)
    out = []
    for task_id in TASK_IDS:
        env.reset(seed=1, options={"task_id": task_id})
        oracle = env.make_oracle(env.task)
        done = False
        while not done:
            _, _, terminated, truncated, _ = env.step(oracle.act(env.messages))
            done = terminated or truncated
        traj = env.trajectory()
        assert traj.metrics["success"], task_id
        out.append(traj.digest())
    env.close()
    return out


@pytest.fixture(scope="module")
def local_digests() -> list[str]:
    return oracle_digests(LocalSandbox())


def test_process_trajectories_match_local(process_sandbox, local_digests):
    assert oracle_digests(process_sandbox) == local_digests


def test_bwrap_trajectories_match_local(bwrap_sandbox, local_digests):
    assert oracle_digests(bwrap_sandbox) == local_digests


@pytest.mark.docker
def test_docker_trajectories_match_local(docker_sandbox, local_digests):
    assert oracle_digests(docker_sandbox) == local_digests


@pytest.fixture(params=["local", "process", pytest.param("docker", marks=pytest.mark.docker)])
def any_sandbox(request, process_sandbox):
    if request.param == "local":
        return LocalSandbox()
    if request.param == "process":
        return process_sandbox
    return request.getfixturevalue("docker_sandbox")


def test_session_state_snapshot_restore_reset(any_sandbox):
    with any_sandbox.open(CALC) as s:
        names = {t["name"] for t in s.tool_specs()}
        assert {"add", "lookup", "store"} <= names
        assert s.call(ToolCall(id="a", name="lookup", arguments={"name": "rate"})).content == "7"
        snap = s.snapshot()
        assert s.call(ToolCall(id="b", name="store", arguments={"slot": "x", "value": 2})).error is None
        assert s.snapshot()["registers"] == {"x": 2.0}
        s.restore(snap)
        assert "registers" not in s.snapshot()
        s.call(ToolCall(id="c", name="store", arguments={"slot": "y", "value": 3}))
        s.reset()
        assert s.snapshot() == {"constants": {"rate": 7}}
        bad = s.call(ToolCall(id="d", name="add", arguments={"a": "x"}))
        assert bad.error == "invalid_arguments" and "field 'a'" in bad.content
        assert s.call(ToolCall(id="e", name="nope", arguments={})).error == "unknown_tool"


def test_sessions_do_not_share_state(process_sandbox):
    a, b = process_sandbox.open(CALC), process_sandbox.open(CALC)
    try:
        a.call(ToolCall(id="1", name="store", arguments={"slot": "only_a", "value": 1}))
        assert "registers" not in b.snapshot()
    finally:
        a.close()
        b.close()


def test_bad_world_is_a_typed_error(process_sandbox):
    with pytest.raises(SandboxError, match="could not build world"):
        process_sandbox.open(WorldSpec(factory="agentgym.envs.calculator.world:NoSuchWorld"))
    source = WorldSpec(factory="agentgym.source_world:SourceWorld",
                       config={"tools": [{"name": "f"}], "codes": {"f": "def g():\n    return 1\n"}})
    with pytest.raises(SandboxError, match="does not define a function named 'f'"):
        process_sandbox.open(source)
    # the pool is still usable afterwards
    with process_sandbox.open(CALC) as s:
        assert s.call(ToolCall(id="1", name="add", arguments={"a": 1, "b": 2})).content == "3"


async def _concurrent_episodes(sandbox, n: int) -> list[str]:
    """Plays ``n`` oracle episodes at once; each gives "ok", or what went wrong (for the failure message)."""

    async def one(i: int) -> str:
        env = agentgym.make("calculator", split="test", sandbox=sandbox)
        await env.areset(seed=i, options={"task_id": f"calc-test-{i % 20:04d}"})
        oracle = env.make_oracle(env.task)
        done = False
        while not done:
            _, _, terminated, truncated, _ = await env.astep(oracle.act(env.messages))
            done = terminated or truncated
        errors = [(m.error, m.content[:200]) for m in env.messages if m.role == "tool" and m.error]
        outcome = "ok" if env.metrics["success"] else f"episode {i} failed: {env.metrics}, tool errors {errors}"
        env.close()
        return outcome

    return await asyncio.gather(*(one(i) for i in range(n)))


async def test_async_episodes_run_concurrently_on_process(process_sandbox):
    outcomes = await _concurrent_episodes(process_sandbox, 32)
    assert outcomes == ["ok"] * 32, [o for o in outcomes if o != "ok"]


@pytest.mark.docker
async def test_async_episodes_run_concurrently_on_docker(docker_sandbox):
    outcomes = await _concurrent_episodes(docker_sandbox, 64)
    assert outcomes == ["ok"] * 64, [o for o in outcomes if o != "ok"]


def test_untrusted_code_without_bubblewrap_warns():
    from agentgym.sandbox.process import ProcessSandbox, SandboxWarning

    spec = WorldSpec(factory="agentgym.source_world:SourceWorld",
                     config={"tools": [{"name": "f"}], "codes": {"f": "def f():\n    return 1\n"}})
    with ProcessSandbox(use_bwrap=False, pool_size=0) as sb:
        with pytest.warns(SandboxWarning, match="only rlimits protect"):
            s = sb.open(spec)
        with s:
            assert s.call(ToolCall(id="1", name="f", arguments={})).content == "1"
