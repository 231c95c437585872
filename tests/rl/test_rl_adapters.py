"""Trainer adapters: TRL's rollout_func against the real server, verl's agent loop on a token-in engine."""

from __future__ import annotations

import asyncio
import importlib.util
from types import SimpleNamespace

import pytest

from agentgym.rl.adapters import trl as trl_adapter
from agentgym.rl.adapters import verl as verl_adapter
from agentgym.serve.model import SamplingParams

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_trl_rollout_func_returns_whole_episodes_with_env_mask(policy_server, tokenizer):
    data = trl_adapter.task_dataset("calculator", split="train", tasks=2)
    assert data.column_names == ["prompt", "task_id"] and len(data) == 2
    rollout_func = trl_adapter.make_rollout_func(policy_server.base_url, "calculator", tokenizer=tokenizer,
                                                 max_tokens=16, max_turns=2)
    prompts = [data[0]["prompt"], data[0]["prompt"], data[1]["prompt"]]  # TRL repeats a prompt per generation
    out = rollout_func(prompts, None)
    assert {"prompt_ids", "completion_ids", "logprobs", "env_mask", "agentgym_reward"} <= out.keys()
    assert out["agentgym_task_id"] == [data[0]["task_id"], data[0]["task_id"], data[1]["task_id"]]
    for p, c, lp, m in zip(out["prompt_ids"], out["completion_ids"], out["logprobs"], out["env_mask"],
                           strict=True):
        assert len(c) == len(lp) == len(m) and m[0] == 1  # the completion starts with generated tokens
        assert all(x == 0.0 for x, k in zip(lp, m) if k == 0)
        assert tokenizer.decode(p).endswith("<|im_start|>assistant\n")
    assert trl_adapter.env_reward(prompts, None, agentgym_reward=out["agentgym_reward"]) == \
        [float(r) for r in out["agentgym_reward"]]
    with pytest.raises(KeyError, match="task_dataset"):
        rollout_func([[{"role": "user", "content": "not a task"}]], None)


class ModelServerManager:
    """verl's ``server_manager.generate`` contract (token ids in, ``TokenOutput`` out) on the real SmolLM2
    decode loop, standing in for verl's vLLM/SGLang servers."""

    def __init__(self, loaded):
        self.loaded, self.requests = loaded, []

    async def generate(self, request_id, *, prompt_ids, sampling_params):
        self.requests.append((request_id, list(prompt_ids)))
        params = SamplingParams(max_tokens=sampling_params["max_tokens"],
                                temperature=sampling_params.get("temperature", 1.0), seed=0)
        gen = await asyncio.to_thread(self.loaded.generate, [list(prompt_ids)], [params])
        return SimpleNamespace(token_ids=gen[0].token_ids, log_probs=gen[0].logprobs)


def test_verl_agent_loop_run_row_on_a_token_in_engine(smollm2, tokenizer):
    rows = verl_adapter.task_rows("calculator", split="train", tasks=1, group_size=2, max_turns=2)
    assert [r["agentgym"]["sample"] for r in rows] == [0, 1] and rows[0]["agent_name"] == "agentgym"
    manager = ModelServerManager(smollm2)
    out = asyncio.run(verl_adapter.run_row(manager, tokenizer, {"temperature": 0.0, "max_tokens": 16}, rows[0]))
    assert len(out["response_ids"]) == len(out["response_mask"]) == len(out["response_logprobs"])
    assert out["response_mask"][0] == 1 and out["num_turns"] >= 3
    # the first request's prompt is the opening prompt; later requests extend the sequence (never re-render it)
    first = manager.requests[0][1]
    assert out["prompt_ids"] == first
    for (_, earlier), (_, later) in zip(manager.requests, manager.requests[1:]):
        assert later[:len(earlier)] == earlier
    assert len({rid for rid, _ in manager.requests}) == 1  # one sticky request id per episode
    assert tokenizer.decode(first).endswith("<|im_start|>assistant\n") and "<tools>" in tokenizer.decode(first)
    cut = asyncio.run(verl_adapter.run_row(manager, tokenizer, {"temperature": 0.0, "max_tokens": 16}, rows[0],
                                           response_length=5))
    assert len(cut["response_ids"]) == 5


@pytest.mark.skipif(importlib.util.find_spec("verl") is not None, reason="verl is installed")
def test_verl_loop_class_needs_verl_only_when_asked_for():
    with pytest.raises(ModuleNotFoundError, match="verl"):
        verl_adapter.AgentGymAgentLoop  # noqa: B018 (the lazy import is the behaviour under test)


@pytest.mark.skipif(importlib.util.find_spec("verl") is None,
                    reason="verl is not installed (checked with verl 0.9.1 on PYTHONPATH: "
                           "pip install --no-deps --target DIR verl==0.9.1 hydra-core omegaconf tensordict ...)")
def test_verl_agent_loop_class_runs_a_row(smollm2, tokenizer):
    from omegaconf import OmegaConf
    from verl.experimental.agent_loop.agent_loop import AgentLoopOutput, DictConfigWrap
    from verl.workers.rollout.replica import TokenOutput

    class VerlTokenServer(ModelServerManager):
        async def generate(self, request_id, *, prompt_ids, sampling_params, **kwargs):
            out = await super().generate(request_id, prompt_ids=prompt_ids, sampling_params=sampling_params)
            return TokenOutput(token_ids=out.token_ids, log_probs=out.log_probs)

    config = OmegaConf.create({"actor_rollout_ref": {"rollout": {"response_length": 64, "prompt_length": 1024}}})
    loop = verl_adapter.AgentGymAgentLoop(
        trainer_config=DictConfigWrap(config), server_manager=VerlTokenServer(smollm2), tokenizer=tokenizer,
        processor=None, dataset_cls=None, data_config=DictConfigWrap(OmegaConf.create({})))
    row = verl_adapter.task_rows("calculator", split="train", tasks=1, max_turns=2)[0]
    out = asyncio.run(loop.run({"temperature": 0.0, "max_tokens": 16}, **row))
    assert isinstance(out, AgentLoopOutput)
    assert len(out.response_ids) == len(out.response_mask) == len(out.response_logprobs) <= 64
    assert out.response_mask[0] == 1 and out.reward_score is not None
