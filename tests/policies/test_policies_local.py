"""openai-compatible (over its own HTTP client) against the fake provider, the LLM user simulator, and the
offline policies (scripted, replay, random) playing real calculator episodes."""

from __future__ import annotations

import asyncio

import pytest

import agentgym
from agentgym.errors import ConfigError, InfrastructureError
from agentgym.policies import Observation, make_policy
from agentgym.policies.llm_user import LLMUserSimulator
from agentgym.runner.episode import run_episode
from agentgym.testing.fake_openai import FakeOpenAIServer, FaultPlan
from agentgym.types import Message, Task

TOOLS = [{"name": "add", "description": "Add.", "parameters": {"type": "object", "properties": {
    "a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}}]


def play(policy, task_ids, env_name="calculator"):
    env = agentgym.make(env_name, split="test")

    async def go():
        return [await run_episode(env, policy, task_id=t, seed=3) for t in task_ids]

    return asyncio.run(go())


# ---- openai-compatible ------------------------------------------------------------------------------
def test_openai_compatible_retries_then_reads_tool_calls():
    plan = FaultPlan(schedule={0: "malformed", 1: "429", 2: "500"})
    with FakeOpenAIServer(responder=lambda r: {"content": "", "tool_calls": [{"name": "add", "arguments": {"a": 1, "b": 2}}]},
                          faults=plan) as server:
        policy = make_policy("openai-compatible", base_url=server.base_url, backoff_s=0.01, max_tokens=32)
        out = asyncio.run(policy.act(Observation("e", [Message.user("1+2")], tools=TOOLS, seed=5)))
    assert out.message.tool_calls[0].arguments == {"a": 1, "b": 2}
    body = server.requests[-1]
    assert body["model"] == "fake-model"  # found through /v1/models
    assert body["logprobs"] is True and body["return_token_ids"] is True and body["max_tokens"] == 32
    assert body["tools"][0]["function"]["name"] == "add"
    assert out.tokens is None  # this server does not return token data


def test_openai_compatible_gives_up_with_a_typed_error():
    with FakeOpenAIServer(faults=FaultPlan(rate=1.0, kinds=("500",))) as server:
        policy = make_policy("openai-compatible", base_url=server.base_url, model="m", backoff_s=0.01,
                             max_retries=1)
        with pytest.raises(InfrastructureError, match="after 2 attempts"):
            asyncio.run(policy.act(Observation("e", [Message.user("hi")])))


def test_openai_compatible_needs_a_base_url():
    with pytest.raises(ConfigError, match="base_url"):
        make_policy("openai-compatible")


def test_openai_compatible_sends_the_whole_conversation_every_turn():
    """Messages are converted once and reused: every request must still carry the full, current history
    (and a rewritten history, not the cached one)."""
    replies = iter([{"content": "", "tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]},
                    {"content": "", "tool_calls": [{"name": "add", "arguments": {"a": 5, "b": 1}}]},
                    {"content": "It is 6."}])
    with FakeOpenAIServer(responder=lambda r: next(replies, {"content": "ok"})) as server:
        policy = make_policy("openai-compatible", base_url=server.base_url, model="m", backoff_s=0.01)
        env = agentgym.make("calculator", split="test")
        [traj] = play(policy, [env.tasks[0].id])
        history = list(traj.initial_messages)
        for step, request in zip(traj.steps, server.requests):
            assert request["messages"] == [m.to_openai() for m in history]
            assert [t["function"]["name"] for t in request["tools"]] == [t["name"] for t in traj.tools]
            history += [step.action, *step.observation]
        assert len(server.requests) == len(traj.steps) == 3

        first = [Message.user("what is 1+1?"), Message.assistant("2"), Message.user("and 2+2?")]
        edited = [first[0], Message.assistant("two"), first[2]]
        for messages in (first, edited):
            asyncio.run(policy.act(Observation("e", messages, tools=TOOLS, seed=0)))
            assert server.requests[-1]["messages"] == [m.to_openai() for m in messages]


def test_model_text_with_a_broken_call_becomes_an_observation():
    """A text-only model's unparsable call must reach the env as a malformed_call tool error."""
    text = '<tool_call>{"name": "add", "arguments": {"a": 1</tool_call>'
    with FakeOpenAIServer(responder=lambda r: {"content": text}) as server:
        policy = make_policy("openai-compatible", base_url=server.base_url, backoff_s=0.01)
        env = agentgym.make("calculator", split="test")
        env.unwrapped.max_turns = 1
        [traj] = play(policy, [env.tasks[0].id])
    errors = [m.error for m in traj.steps[0].observation if m.role == "tool"]
    assert errors == ["malformed_call"]


# ---- LLM user simulator ------------------------------------------------------------------------------
def test_llm_user_sees_a_flipped_conversation_and_stops_on_the_token():
    replies = iter(["I need 2+2.", "Thanks! ###STOP###"])
    with FakeOpenAIServer(responder=lambda r: {"content": next(replies)}) as server:
        user = LLMUserSimulator("openai/fake-model", "You are Ann. You want 2+2 computed.",
                                base_url=server.base_url, api_key="sk-fake", backoff_s=0.01)
        user.reset(Task(id="t", env="calculator", split="test", instruction="hi"), seed=1)
        first = user.respond([Message.user("hi"), Message.assistant("How can I help?")])
        last = asyncio.run(user.arespond([Message.user("hi"), Message.assistant("How can I help?"),
                                          Message.user("I need 2+2."), Message.assistant("It is 4.")]))
    assert first.message.content == "I need 2+2." and not first.done
    assert last.done and last.message.content == "Thanks!"
    sent = server.requests[1]["messages"]
    assert sent[0]["role"] == "system" and "You are Ann" in sent[0]["content"] and "###STOP###" in sent[0]["content"]
    assert [m["role"] for m in sent[1:]] == ["assistant", "user", "assistant", "user"]
    assert sent[-1]["content"] == "It is 4."


# ---- offline policies --------------------------------------------------------------------------------
def test_scripted_policy_plays_its_messages_in_order():
    env = agentgym.make("calculator", split="test")
    task = env.tasks[0]
    a, b = task.world.get("start", 1), 1
    policy = make_policy("scripted", messages=[
        f'<tool_call>{{"name": "add", "arguments": {{"a": {a}, "b": {b}}}}}</tool_call>', "The answer is 42."])
    [traj] = play(policy, [task.id])
    assert traj.steps[0].action.tool_calls[0].name == "add"
    assert traj.steps[0].observation[0].error is None
    assert traj.steps[1].action.content == "The answer is 42."


def test_replay_reproduces_stored_trajectories(tmp_path):
    env = agentgym.make("calculator", split="test")
    ids = [t.id for t in env.tasks[:3]]
    original = play(make_policy("oracle"), ids)
    path = tmp_path / "trajectories.jsonl"
    path.write_text("".join(t.model_dump_json() + "\n" for t in original))
    replayed = play(make_policy("replay", path=str(path)), ids)
    def digests(trajs):  # the policy's name is part of a trajectory; everything else must match
        return [t.model_copy(update={"policy": ""}).digest() for t in trajs]

    assert digests(replayed) == digests(original)
    assert all(t.success for t in replayed)


def test_replay_reports_a_missing_episode(tmp_path):
    path = tmp_path / "trajectories.jsonl"
    path.write_text("")
    with pytest.raises(ConfigError, match="no trajectory"):
        play(make_policy("replay", path=str(path)), [agentgym.make("calculator", split="test").tasks[0].id])


def test_random_policy_is_seeded_and_calls_offered_tools():
    env = agentgym.make("calculator", split="test")
    ids = [t.id for t in env.tasks[:3]]
    first = play(make_policy("random", seed=1), ids)
    again = play(make_policy("random", seed=1), ids)
    other = play(make_policy("random", seed=2), ids)
    assert [t.digest() for t in first] == [t.digest() for t in again]
    assert [t.digest() for t in first] != [t.digest() for t in other]
    names = {c.name for t in first for s in t.steps for c in s.action.tool_calls}
    offered = {spec["name"] for spec in first[0].tools}
    assert names and names <= offered


def test_unknown_policy_lists_the_choices():
    with pytest.raises(ConfigError, match="openai-compatible"):
        make_policy("nope")
