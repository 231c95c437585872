"""The built-in server serving the real SmolLM2-135M-Instruct, driven by the official openai client,
litellm and the openai-compatible policy. Completions are kept short: the model runs on a shared CPU."""

from __future__ import annotations

import asyncio
import os

import httpx

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
ASK = [{"role": "user", "content": "What is the capital of France?"}]


def test_openai_client_chat_with_tools_logprobs_and_token_ids(smol_server, tokenizer):
    import openai

    client = openai.OpenAI(base_url=smol_server.base_url, api_key="none")
    assert [m.id for m in client.models.list().data] == ["SmolLM2-135M-Instruct"]
    resp = client.chat.completions.create(
        model="SmolLM2-135M-Instruct", messages=ASK, tools=TOOLS, temperature=0, max_tokens=12,
        logprobs=True, top_logprobs=2, seed=0, extra_body={"return_token_ids": True})
    extra = resp.model_extra
    choice = resp.choices[0]
    prompt = tokenizer.decode(extra["prompt_token_ids"])
    assert "get_weather" in prompt and "Current weather for a city." in prompt  # tool schema reached the model
    assert "What is the capital of France?" in prompt
    token_ids = choice.model_extra["token_ids"]
    assert 0 < len(token_ids) <= 12 and resp.usage.completion_tokens == len(token_ids)
    assert resp.usage.prompt_tokens == len(extra["prompt_token_ids"])
    lps = choice.logprobs.content
    assert len(lps) == len(token_ids) and all(t.logprob <= 0 for t in lps)
    assert all(len(t.top_logprobs) == 2 and t.top_logprobs[0].logprob >= t.logprob for t in lps)
    if not choice.message.tool_calls:  # a parsed tool call leaves the text; otherwise text == tokens
        assert tokenizer.decode(token_ids, skip_special_tokens=True) == choice.message.content


def test_litellm_gets_the_same_greedy_text_and_token_ids(smol_server, tokenizer):
    import litellm
    import openai

    direct = openai.OpenAI(base_url=smol_server.base_url, api_key="none").chat.completions.create(
        model="SmolLM2-135M-Instruct", messages=ASK, temperature=0, max_tokens=12)
    resp = litellm.completion(model="openai/SmolLM2-135M-Instruct", api_base=smol_server.base_url,
                              api_key="none", messages=ASK, tools=TOOLS, temperature=0, max_tokens=12,
                              logprobs=True, num_retries=0, extra_body={"return_token_ids": True})
    text = resp.choices[0].message.content
    assert text and text == direct.choices[0].message.content  # greedy is deterministic across clients
    lps = resp.choices[0].logprobs["content"] if isinstance(resp.choices[0].logprobs, dict) \
        else resp.choices[0].logprobs.content
    token_ids = resp.choices[0].provider_specific_fields["token_ids"]  # where litellm keeps vLLM's field
    assert len(lps) == len(token_ids) == resp.usage.completion_tokens
    assert token_ids == direct.choices[0].model_extra["token_ids"]
    assert tokenizer.decode(token_ids, skip_special_tokens=True) == text
    assert "get_weather" in tokenizer.decode(resp.prompt_token_ids)  # the tool schema was passed


def test_litellm_policy_keeps_token_data_from_the_server(smol_server):
    from agentgym.policies import Observation, make_policy
    from agentgym.types import Message

    policy = make_policy("litellm", model="openai/SmolLM2-135M-Instruct", base_url=smol_server.base_url,
                         api_key="none", max_tokens=6, logprobs=True, extra_body={"return_token_ids": True})
    out = asyncio.run(policy.act(Observation("e", [Message.user("Hi")], tools=[TOOLS[0]["function"]])))
    assert out.tokens and out.tokens.prompt_ids
    assert len(out.tokens.completion_ids) == len(out.tokens.logprobs) == out.usage.completion_tokens
    assert out.usage.cost == 0.0  # a local model has no price


def test_openai_compatible_policy_returns_token_data(smol_server, tokenizer):
    from agentgym.policies import Observation, make_policy
    from agentgym.types import Message

    policy = make_policy("openai-compatible", base_url=smol_server.base_url, max_tokens=10)
    obs = Observation("e", [Message.user("Say hello.")], tools=[TOOLS[0]["function"]], seed=1)

    async def go():
        try:
            return await policy.act(obs)
        finally:
            await policy.aclose()

    out = asyncio.run(go())
    tokens = out.tokens
    assert tokens is not None and tokens.prompt_ids and tokens.completion_ids
    assert len(tokens.logprobs) == len(tokens.completion_ids) == out.usage.completion_tokens
    assert out.usage.prompt_tokens == len(tokens.prompt_ids) and out.usage.latency_s > 0
    assert "get_weather" in tokenizer.decode(tokens.prompt_ids)


def test_concurrent_requests_are_batched_and_sampling_is_seeded(smol_server, tokenizer):
    url = smol_server.base_url + "/chat/completions"
    prompts = ["Name a color.", "Name a fruit.", "Name an animal.", "Name a country."]

    async def go():
        async with httpx.AsyncClient(timeout=600) as client:
            greedy = [client.post(url, json={"messages": [{"role": "user", "content": p}], "temperature": 0,
                                             "max_tokens": 6}) for p in prompts]
            sampled = [client.post(url, json={"messages": ASK, "temperature": 1.0, "seed": 42, "n": 2,
                                              "max_tokens": 6}) for _ in range(2)]
            return [r.json() for r in await asyncio.gather(*greedy, *sampled)]

    before = len(smol_server.batch_sizes)
    results = asyncio.run(go())
    assert max(smol_server.batch_sizes[before:]) > 1  # concurrent requests shared a decode
    for r in results[:4]:
        c = r["choices"][0]
        assert tokenizer.decode(c["token_ids"], skip_special_tokens=True) == c["message"]["content"]
    a, b = results[4], results[5]
    assert [c["token_ids"] for c in a["choices"]] == [c["token_ids"] for c in b["choices"]]  # same seed
    assert len(a["choices"]) == 2


def test_stop_strings_and_bad_requests(smol_server):
    url = smol_server.base_url + "/chat/completions"
    r = httpx.post(url, json={"messages": [{"role": "user", "content": "Count: 1, 2, 3, 4, 5"}],
                              "temperature": 0, "max_tokens": 12, "stop": [","]}, timeout=600).json()
    assert "," not in r["choices"][0]["message"]["content"]
    bad = httpx.post(url, json={"messages": []}, timeout=60)
    assert bad.status_code == 400 and "messages" in bad.json()["error"]["message"]
    bad = httpx.post(url, json={"messages": ASK, "temperature": -1}, timeout=60)
    assert bad.status_code == 400


def test_an_episode_records_tokens_and_usage_per_turn(smol_server):
    import agentgym
    from agentgym.policies import make_policy
    from agentgym.runner.episode import run_episode

    env = agentgym.make("calculator", split="test")
    env.unwrapped.max_turns = 2
    policy = make_policy("openai-compatible", base_url=smol_server.base_url, max_tokens=8)

    async def go():
        try:
            return await run_episode(env, policy, task_id=env.tasks[0].id, seed=0)
        finally:
            await policy.aclose()

    traj = asyncio.run(go())
    assert traj.steps and all(s.tokens and s.tokens.completion_ids for s in traj.steps)
    assert traj.usage.completion_tokens == sum(len(s.tokens.completion_ids) for s in traj.steps)
    assert traj.usage.calls == len(traj.steps)


def test_history_with_tool_traffic_renders_for_a_template_without_tools(smol_server, tokenizer):
    from agentgym.serve import load_model

    model = load_model()
    assert not model.native_tools  # SmolLM2's template knows no tools: the server writes them as text
    history = ASK[:1] + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny, 21 C"}]
    prompt = tokenizer.decode(model.render(history, TOOLS))
    assert '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>' in prompt
    assert "<tool_response>\nsunny, 21 C\n</tool_response>" in prompt
    assert prompt.rstrip().endswith("<|im_start|>assistant")


def test_tool_call_text_comes_back_as_openai_tool_calls():
    from agentgym.serve.app import ChatRequest, _choice
    from agentgym.serve.model import Generation

    req = ChatRequest(messages=ASK, tools=TOOLS)
    text = 'Let me check.<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>'
    choice = _choice(None, 0, Generation([1, 2], [-0.1, -0.2], [], text, "stop"), req)
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] == "Let me check."
    assert choice["message"]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    broken = _choice(None, 0, Generation([1], [-0.1], [], '<tool_call>{"name": "get_weather", "argu', "length"), req)
    assert "tool_calls" not in broken["message"] and broken["message"]["content"].startswith("<tool_call>")
