"""TRL adapter: agentgym episodes as the rollouts of TRL's ``GRPOTrainer`` (its ``rollout_func`` hook).

TRL (>= 0.23; checked against 1.16) lets a ``rollout_func(prompts, trainer)`` replace its own generation: it
returns ``prompt_ids``, ``completion_ids`` and ``logprobs`` per prompt, an ``env_mask`` (1 on tokens the model
generated, 0 on tool/user tokens, which TRL leaves out of the loss) and any extra fields, which TRL passes to
the reward functions. Here each prompt is one task's opening messages (``task_dataset``); the rollout plays
the whole multi-turn episode against the policy server and returns it as one completion:

    prompt_ids     = the opening prompt's ids (what the model saw first)
    completion_ids = every later token: the model's turns and the env's tool results / user replies
    env_mask       = the loss mask over completion_ids; logprobs = the sampling logprobs (0 on env tokens)

and ``env_reward`` reads the episode reward back. TRL's ``RepeatSampler`` repeats each prompt
``num_generations`` times, so the repeats of one task are one group.

    trainer = GRPOTrainer(model=model, reward_funcs=env_reward, train_dataset=task_dataset("calculator"),
                          rollout_func=make_rollout_func(server.base_url, "calculator"), args=GRPOConfig(...))

The policy server must serve the weights being trained: run ``agentgym serve`` in the trainer's process on
the same model object (see ``examples/trl_grpo.py``) or sync weights into vLLM as TRL does.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from agentgym.env import AgentEnv, derive_seed
from agentgym.policies.openai_compat import OpenAICompatiblePolicy
from agentgym.rl.rollout import ChatGenerator, RewardSource, TokenEpisode, load_tokenizer, rollout


def _key(prompt: Any) -> str:
    return json.dumps(prompt, sort_keys=True)


def _make_env(env: str | Callable[[], AgentEnv], split: str, env_kwargs: dict[str, Any]) -> AgentEnv:
    if isinstance(env, str):
        from agentgym.registry import make

        return make(env, split=split, **env_kwargs)
    return env()


def task_dataset(env: str | Callable[[], AgentEnv], split: str = "train", tasks: int | Sequence[str] | None = None,
                 **env_kwargs: Any) -> Any:
    """A ``datasets.Dataset`` with one row per task: ``prompt`` (the opening messages) and ``task_id``."""
    from datasets import Dataset

    e = _make_env(env, split, env_kwargs)
    try:
        chosen = e.tasks if tasks is None else (e.tasks[:tasks] if isinstance(tasks, int)
                                                else [e.get_task(t) for t in tasks])
        rows = []
        for task in chosen:
            e.reset(seed=task.seed, options={"task_id": task.id})
            rows.append({"prompt": [{"role": m.role, "content": m.content} for m in e.initial_messages],
                         "task_id": task.id})
    finally:
        e.close()
    return Dataset.from_list(rows)


def make_rollout_func(policy_url: str, env: str | Callable[[], AgentEnv], *, split: str = "train",
                      tokenizer: Any = None, reward: RewardSource = "env", temperature: float = 1.0,
                      max_tokens: int = 256, max_turns: int | None = None, seed: int = 0,
                      env_kwargs: dict[str, Any] | None = None) -> Callable[[list[Any], Any], dict[str, Any]]:
    """A ``rollout_func`` for ``GRPOTrainer`` playing ``env``'s tasks against the server at ``policy_url``."""
    env_kwargs = dict(env_kwargs or {})
    if max_turns is not None:
        env_kwargs["max_turns"] = max_turns
    tok = load_tokenizer(tokenizer)
    probe = _make_env(env, split, env_kwargs)
    try:
        by_prompt = {}
        for task in probe.tasks:
            probe.reset(seed=task.seed, options={"task_id": task.id})
            by_prompt.setdefault(_key([{"role": m.role, "content": m.content} for m in probe.initial_messages]),
                                 task.id)
    finally:
        probe.close()
    calls = {"step": 0}  # rollout_func calls so far: each call's samples get fresh seeds

    async def play(prompts: list[Any]) -> list[TokenEpisode]:
        policy = OpenAICompatiblePolicy(policy_url, temperature=temperature, max_tokens=max_tokens,
                                        timeout_s=600.0)
        generator = ChatGenerator(policy)
        step = calls["step"]
        seen = Counter[str]()

        async def one(prompt: Any) -> TokenEpisode:
            task_id = by_prompt.get(_key(prompt))
            if task_id is None:
                raise KeyError("rollout_func got a prompt that is not a task's opening messages; "
                               "build the dataset with agentgym.rl.adapters.trl.task_dataset")
            sample = seen[task_id]
            seen[task_id] += 1
            e = _make_env(env, split, env_kwargs)
            try:
                return await rollout(e, generator, tok, task_id, sample=sample,
                                     seed=derive_seed(seed, step, task_id, sample), reward=reward, on_drift="warn")
            finally:
                e.close()

        try:
            return list(await asyncio.gather(*(one(p) for p in prompts)))
        finally:
            await policy.aclose()

    def rollout_func(prompts: list[Any], trainer: Any = None) -> dict[str, Any]:
        episodes = asyncio.run(play(list(prompts)))
        calls["step"] += 1
        return to_trl(episodes)

    return rollout_func


def to_trl(episodes: Sequence[TokenEpisode]) -> dict[str, Any]:
    """Episodes in ``rollout_func``'s output shape (plus ``agentgym_*`` fields for the reward functions)."""
    out: dict[str, Any] = {"prompt_ids": [], "completion_ids": [], "logprobs": [], "env_mask": [],
                           "agentgym_reward": [], "agentgym_turn_rewards": [], "agentgym_task_id": []}
    for e in episodes:
        p = e.prompt_length
        out["prompt_ids"].append(e.token_ids[:p])
        out["completion_ids"].append(e.token_ids[p:])
        out["logprobs"].append(e.logprobs[p:])
        out["env_mask"].append(e.loss_mask[p:])
        out["agentgym_reward"].append(e.episode_reward)
        out["agentgym_turn_rewards"].append(list(e.turn_rewards))
        out["agentgym_task_id"].append(e.task_id)
    return out


def env_reward(prompts: Any = None, completions: Any = None, agentgym_reward: list[float] | None = None,
               **kwargs: Any) -> list[float]:
    """TRL reward function: the episode reward the env (or rubric) gave each rollout."""
    if agentgym_reward is None:
        raise ValueError("env_reward needs the agentgym_reward field; use it with make_rollout_func")
    return [float(r) for r in agentgym_reward]
