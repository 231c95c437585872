"""The litellm policy against the loopback fake provider, with the real litellm client."""

from __future__ import annotations

import asyncio
import json

import pytest

from agentgym.errors import InfrastructureError
from agentgym.policies import Observation, make_policy
from agentgym.testing.fake_openai import FakeOpenAIServer, FaultPlan
from agentgym.types import Message

TOOLS = [{"name": "add", "description": "Add two numbers.",
          "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                         "required": ["a", "b"]}}]


def call_add(request):
    return {"content": "", "tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]}


def act(policy, messages=None, tools=TOOLS, seed=7, turn=1):
    obs = Observation("ep-1", messages or [Message.user("add 2 and 3")], tools=tools, turn=turn, seed=seed)
    return asyncio.run(policy.act(obs))


def policy_for(server, **kw):
    kw.setdefault("backoff_s", 0.01)
    return make_policy("litellm", model="openai/fake-model", base_url=server.base_url, api_key="sk-fake", **kw)


def test_native_tool_calls_and_forwarded_settings():
    with FakeOpenAIServer(responder=call_add) as server:
        out = act(policy_for(server, temperature=0.3, top_p=0.9, max_tokens=50, seed=100))
    call = out.message.tool_calls[0]
    assert (call.name, call.arguments, call.parse_error) == ("add", {"a": 2, "b": 3}, None)
    req = server.requests[0]
    assert req["tools"] == [{"type": "function", "function": TOOLS[0]}]
    assert (req["temperature"], req["top_p"], req["max_tokens"], req["seed"]) == (0.3, 0.9, 50, 101)
    assert out.usage.calls == 1 and out.usage.completion_tokens > 0 and out.usage.latency_s > 0
    assert out.usage.cost == 0.0  # not in litellm's price table


@pytest.mark.parametrize("fault", ["429", "500", "slow", "malformed"])
def test_each_fault_is_retried_and_recovers(fault):
    plan = FaultPlan(schedule={0: fault, 1: fault}, slow_s=3.0)
    with FakeOpenAIServer(responder=call_add, faults=plan) as server:
        out = act(policy_for(server, timeout_s=1.0))
    assert server.faults_served == [fault, fault]
    assert len(server.requests) == 3
    assert out.message.tool_calls[0].name == "add"


def test_typed_infrastructure_error_after_the_budget():
    with FakeOpenAIServer(responder=call_add, faults=FaultPlan(rate=1.0, kinds=("500", "429"))) as server:
        with pytest.raises(InfrastructureError) as info:
            act(policy_for(server, max_retries=2))
    assert len(server.requests) == 3  # first attempt + 2 retries
    assert "after 3 attempts" in str(info.value) and info.value.retryable


def test_cost_comes_from_the_price_table():
    with FakeOpenAIServer(responder=lambda r: {"content": "hello there"}) as server:
        policy = make_policy("litellm", model="openai/gpt-4o-mini", base_url=server.base_url, api_key="sk-fake")
        out = act(policy, tools=[])
    assert "tools" not in server.requests[0]
    assert out.message.content == "hello there"
    assert out.usage.cost > 0


def test_text_mode_puts_tools_in_the_prompt_and_parses_text_calls():
    text = 'Sure.\n<tool_call>{"name": "add", "arguments": {"a": 1, "b": 4}}</tool_call>'
    with FakeOpenAIServer(responder=lambda r: {"content": text}) as server:
        out = act(policy_for(server, native_tools=False))
    req = server.requests[0]
    assert "tools" not in req
    assert '"name": "add"' in req["messages"][0]["content"] and req["messages"][0]["role"] == "system"
    assert out.message.content == "Sure." and out.message.tool_calls[0].arguments == {"a": 1, "b": 4}


def test_unparsable_text_call_becomes_a_parse_error_not_a_crash():
    text = '<tool_call>{"name": "add", "arguments": {"a": 1,</tool_call>'
    with FakeOpenAIServer(responder=lambda r: {"content": text}) as server:
        out = act(policy_for(server, native_tools=False))
    call = out.message.tool_calls[0]
    assert call.name == "add" and call.parse_error and "not valid JSON" in call.parse_error


def test_history_with_tool_results_is_sent_in_openai_form():
    from agentgym.types import ToolCall, ToolResult

    history = [Message.user("add 2 and 3"),
               Message.assistant("", [ToolCall(id="c1", name="add", arguments={"a": 2, "b": 3})]),
               ToolResult(call_id="c1", name="add", content="5").to_message()]
    with FakeOpenAIServer(responder=lambda r: {"content": "5"}) as server:
        act(policy_for(server), messages=history)
    sent = server.requests[0]["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "add", "arguments": json.dumps({"a": 2, "b": 3})}
    assert sent[2] == {"role": "tool", "content": "5", "tool_call_id": "c1", "name": "add"}
