"""AgentEnv behaviour on every shipped env, and the bad-input cases a model (or a user) produces."""

from __future__ import annotations

import asyncio
import warnings

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import agentgym
from agentgym.errors import EpisodeFinishedError, EpisodeNotStartedError, UnknownEnvError, UnknownTaskError

ENVS = agentgym.list_envs()


@pytest.mark.parametrize("name", ENVS)
def test_check_env_passes(name):
    env = agentgym.make(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*render.*")
        check_env(env, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("name", ENVS)
def test_registered_with_gymnasium(name):
    env = gymnasium.make(f"agentgym/{name}-v0")
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and info["task_id"]
    env.close()


@pytest.mark.parametrize("name", ENVS)
def test_reset_without_task_id_is_deterministic_in_the_seed(name):
    env = agentgym.make(name)
    picks = [env.reset(seed=s)[1]["task_id"] for s in (1, 2, 1)]
    assert picks[0] == picks[2]
    assert len({env.reset(seed=s)[1]["task_id"] for s in range(20)}) > 1


def test_unknown_env_lists_known_ones():
    with pytest.raises(UnknownEnvError, match="unknown env 'calculatr'; known envs: .*calculator"):
        agentgym.make("calculatr")


def test_unknown_task_id_says_how_to_list_tasks():
    env = agentgym.make("calculator")
    with pytest.raises(UnknownTaskError, match="agentgym tasks calculator"):
        env.reset(options={"task_id": "nope"})


def _start(task_id="calc-test-0001"):
    env = agentgym.make("calculator")
    env.reset(seed=0, options={"task_id": task_id})
    return env


def test_invalid_arguments_unknown_tool_and_malformed_json_continue_the_episode():
    env = _start()
    obs, reward, term, trunc, info = env.step(
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": "x"}'}},
            {"id": "b", "type": "function", "function": {"name": "sqrt", "arguments": "{}"}},
            {"id": "c", "type": "function", "function": {"name": "add", "arguments": '{"a": 1,'}},
        ]})
    assert not (term or trunc)
    assert [o["error"] for o in obs] == ["invalid_arguments", "unknown_tool", "malformed_call"]
    assert "field 'b'" in obs[0]["content"] and "available tools" in obs[1]["content"]
    assert "not valid JSON" in obs[2]["content"] and info["errors"] == [o["error"] for o in obs]
    obs, *_ = env.step('<tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>')
    assert obs[0]["content"] == "3" and obs[0]["error"] is None
    obs, *_ = env.step('<tool_call>{"name": "add", "arguments": {"a": 1, </tool_call>')
    assert obs[0]["error"] == "malformed_call"


def test_step_before_reset_and_after_termination_raise_clear_errors():
    env = agentgym.make("calculator")
    with pytest.raises(EpisodeNotStartedError, match="call reset"):
        env.step("hi")
    env.reset(seed=0)
    *_, term, trunc, info = env.step("ANSWER: 0")
    assert term and "metrics" in info
    with pytest.raises(EpisodeFinishedError, match="call reset"):
        env.step("again")


def test_turn_limit_truncates():
    env = agentgym.make("calculator", max_turns=2)
    env.reset(seed=0)
    call = {"role": "assistant", "tool_calls": [{"id": "1", "name": "add", "arguments": {"a": 1, "b": 1}}]}
    assert env.step(call)[3] is False
    _, reward, term, trunc, info = env.step(call)
    assert trunc and not term and info["metrics"]["success"] is False and reward == 0.0


def test_snapshot_restore_branches_an_episode():
    env = _start("calc-test-0002")
    oracle = env.make_oracle(env.task)
    env.step(oracle.act(env.messages))
    env.step({"role": "assistant", "tool_calls": [{"id": "s", "name": "store",
                                                    "arguments": {"slot": "x", "value": 1}}]})
    snap = env.snapshot()
    assert snap["world"]["registers"] == {"x": 1}
    env.step({"role": "assistant", "tool_calls": [{"id": "s", "name": "store",
                                                    "arguments": {"slot": "x", "value": 2}}]})
    env.step("ANSWER: 1")
    assert env.done
    other = agentgym.make("calculator")
    for target in (env, other):
        target.restore(snap)
        assert not target.done and len(target.steps) == 2
        assert target.session.snapshot()["registers"] == {"x": 1}
        assert [m.model_dump() for m in target.messages] == [m.model_dump() for m in
                                                              env.messages[:len(target.messages)]]


def test_async_twin_gives_the_same_trajectory():
    def play_sync():
        env = _start("calc-test-0003")
        oracle = env.make_oracle(env.task)
        while not env.done:
            env.step(oracle.act(env.messages))
        return env.trajectory().digest()

    async def play_async():
        env = agentgym.make("calculator")
        await env.areset(seed=0, options={"task_id": "calc-test-0003"})
        oracle = env.make_oracle(env.task)
        while not env.done:
            await env.astep(oracle.act(env.messages))
        return env.trajectory().digest()

    assert play_sync() == asyncio.run(play_async())


def test_actions_in_every_accepted_form():
    from agentgym.types import Message, ToolCall

    forms = [
        Message.assistant("", [ToolCall(id="x", name="add", arguments={"a": 2, "b": 2})]),
        {"role": "assistant", "tool_calls": [{"id": "x", "name": "add", "arguments": {"a": 2, "b": 2}}]},
        '```json\n{"name": "add", "arguments": {"a": 2, "b": 2}}\n```',
    ]
    for action in forms:
        env = _start()
        obs, *_ = env.step(action)
        assert obs[0]["content"] == "4"
