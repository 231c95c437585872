"""``collect``: the one call any trainer makes to get a batch of scored, token-level, grouped episodes.

    from agentgym.rl import collect
    batch = collect("http://127.0.0.1:8000/v1", "calculator", tasks=4, group_size=4, advantage="grpo")
    arrays = batch.padded()   # input_ids, attention_mask, loss_mask, logprobs, advantages, token_rewards

Each task is played ``group_size`` times (different sampling seeds); the samples of one task share a group id,
which is what the group-relative estimators normalise over. Advantages are computed per turn and spread over
that turn's generated tokens (zero on prompt, tool and user tokens):

* ``grpo`` / ``rloo``: one episode-level advantage from the episode reward, on every generated token;
* ``hian``: turn rewards and episode rewards normalised separately in the group, then combined per turn;
* ``matchtir``: trajectory-level plus same-turn-index discounted returns; the episode reward is added to the
  last turn's reward so the final outcome counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agentgym.env import AgentEnv, derive_seed
from agentgym.errors import ConfigError
from agentgym.policies.openai_compat import OpenAICompatiblePolicy
from agentgym.rl import advantages as adv
from agentgym.rl.rollout import ChatGenerator, Generator, RewardSource, TokenEpisode, load_tokenizer, rollout
from agentgym.rl.tokens import OnDrift
from agentgym.types import Task

ESTIMATORS = ("grpo", "rloo", "hian", "matchtir")


def turn_advantages(episodes: Sequence[TokenEpisode], estimator: str, **kwargs: Any) -> list[np.ndarray]:
    """Per-turn advantages (one array per episode, one value per turn) with the named estimator."""
    groups = [e.group_id for e in episodes]
    rewards = [e.episode_reward for e in episodes]
    if estimator in ("grpo", "rloo"):
        a = adv.grpo(rewards, groups, **kwargs) if estimator == "grpo" else adv.rloo(rewards, groups)
        return [np.full(e.n_turns, a[i]) for i, e in enumerate(episodes)]
    if estimator == "hian":
        return adv.hian([e.turn_rewards for e in episodes], rewards, groups, **kwargs)
    if estimator == "matchtir":
        turns = [list(e.turn_rewards[:-1]) + [e.turn_rewards[-1] + e.episode_reward] if e.turn_rewards else []
                 for e in episodes]
        return adv.matchtir_dual(turns, groups, **kwargs)
    raise ConfigError(f"unknown advantage estimator {estimator!r}; choose one of {', '.join(ESTIMATORS)} "
                      "(EVPO needs a critic's values: call agentgym.rl.advantages.evpo_gate directly)")


def spread(episode: TokenEpisode, per_turn: Sequence[float]) -> np.ndarray:
    """Token-level array with turn t's value on turn t's generated tokens and 0 elsewhere."""
    out = np.zeros(len(episode.token_ids))
    for (start, end), value in zip(episode.turn_spans, per_turn, strict=True):
        out[start:end + 1] = value
    return out


def token_rewards(episode: TokenEpisode) -> np.ndarray:
    """Turn rewards on each turn's last generated token, plus the episode reward on the last one."""
    out = np.zeros(len(episode.token_ids))
    for end, r in zip(episode.turn_ends, episode.turn_rewards, strict=True):
        out[end] += r
    if episode.turn_ends:
        out[episode.turn_ends[-1]] += episode.episode_reward
    return out


@dataclass
class RolloutBatch:
    """Episodes plus their advantages. ``advantages[i]`` is token-level, aligned with ``episodes[i].token_ids``."""

    episodes: list[TokenEpisode]
    estimator: str
    turn_advantages: list[np.ndarray]
    advantages: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.advantages:
            self.advantages = [spread(e, a) for e, a in zip(self.episodes, self.turn_advantages, strict=True)]

    def __len__(self) -> int:
        return len(self.episodes)

    @property
    def group_ids(self) -> list[str]:
        return [e.group_id for e in self.episodes]

    @property
    def episode_rewards(self) -> np.ndarray:
        return np.array([e.episode_reward for e in self.episodes], dtype=float)

    @property
    def turn_rewards(self) -> list[list[float]]:
        return [list(e.turn_rewards) for e in self.episodes]

    def padded(self, pad_id: int = 0) -> dict[str, np.ndarray]:
        """Right-padded ``[batch, max_len]`` arrays for a trainer's forward pass."""
        n, width = len(self.episodes), max((len(e.token_ids) for e in self.episodes), default=0)
        out = {"input_ids": np.full((n, width), pad_id, dtype=np.int64),
               "attention_mask": np.zeros((n, width), dtype=np.int64),
               "loss_mask": np.zeros((n, width), dtype=np.int64),
               "logprobs": np.zeros((n, width), dtype=np.float32),
               "advantages": np.zeros((n, width), dtype=np.float32),
               "token_rewards": np.zeros((n, width), dtype=np.float32)}
        for i, e in enumerate(self.episodes):
            k = len(e.token_ids)
            out["input_ids"][i, :k] = e.token_ids
            out["attention_mask"][i, :k] = 1
            out["loss_mask"][i, :k] = e.loss_mask
            out["logprobs"][i, :k] = e.logprobs
            out["advantages"][i, :k] = self.advantages[i]
            out["token_rewards"][i, :k] = token_rewards(e)
        return out


def _task_ids(env: AgentEnv, tasks: int | Sequence[str | Task]) -> list[str]:
    if isinstance(tasks, int):
        return [t.id for t in env.tasks[:tasks]]
    return [t.id if isinstance(t, Task) else str(t) for t in tasks]


def _env_factory(env: str | type[AgentEnv] | Callable[[], AgentEnv], split: str,
                 env_kwargs: dict[str, Any]) -> Callable[[], AgentEnv]:
    if isinstance(env, str):
        from agentgym.registry import make

        return lambda: make(env, split=split, **env_kwargs)
    if isinstance(env, type):
        return lambda: env(split, **env_kwargs)
    return env


async def acollect(policy_url: str | Generator, env: str | type[AgentEnv] | Callable[[], AgentEnv],
                   tasks: int | Sequence[str | Task], group_size: int, *, advantage: str = "grpo",
                   tokenizer: Any = None, split: str = "train", seed: int = 0, temperature: float = 1.0,
                   max_tokens: int = 256, max_turns: int | None = None, reward: RewardSource = "env",
                   rubric: Any = None, concurrency: int = 16, keep_checkpoints: bool = False,
                   on_drift: OnDrift = "warn", env_kwargs: dict[str, Any] | None = None,
                   advantage_kwargs: dict[str, Any] | None = None, policy_kwargs: dict[str, Any] | None = None
                   ) -> RolloutBatch:
    """``collect`` for callers already in an event loop."""
    if group_size < 1:
        raise ConfigError(f"group_size must be >= 1, got {group_size}")
    if advantage not in ESTIMATORS:
        turn_advantages([], advantage)  # raises the helpful error
    env_kwargs = dict(env_kwargs or {})
    if max_turns is not None:
        env_kwargs["max_turns"] = max_turns
    make_env = _env_factory(env, split, env_kwargs)
    tok = load_tokenizer(tokenizer)
    if isinstance(policy_url, str):
        options = {"timeout_s": 600.0, **(policy_kwargs or {})}  # a busy CPU server is slow, not dead
        policy = OpenAICompatiblePolicy(policy_url, temperature=temperature, max_tokens=max_tokens, **options)
        generator: Generator = ChatGenerator(policy)
    else:
        policy, generator = None, policy_url
    probe = make_env()
    try:
        ids = _task_ids(probe, tasks)
        for tid in ids:
            probe.get_task(tid)  # unknown ids fail here, before any generation
    finally:
        probe.close()
    jobs = [(tid, s) for tid in ids for s in range(group_size)]
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(task_id: str, sample: int) -> TokenEpisode:
        async with gate:
            e = make_env()
            try:
                return await rollout(e, generator, tok, task_id, sample=sample,
                                     seed=derive_seed(seed, task_id, sample), group_id=task_id, rubric=rubric,
                                     reward=reward, keep_checkpoints=keep_checkpoints, on_drift=on_drift)
            finally:
                e.close()

    try:
        episodes = list(await asyncio.gather(*(one(t, s) for t, s in jobs)))
    finally:
        if policy is not None:
            await policy.aclose()
    return RolloutBatch(episodes, advantage, turn_advantages(episodes, advantage, **(advantage_kwargs or {})))


def collect(policy_url: str | Generator, env: str | type[AgentEnv] | Callable[[], AgentEnv],
            tasks: int | Sequence[str | Task], group_size: int, **kwargs: Any) -> RolloutBatch:
    """Play every task ``group_size`` times against the policy server at ``policy_url`` (an OpenAI-compatible
    ``/v1`` URL returning token ids, or any ``Generator``) and return the batch with advantages.

    ``env`` is a registered env name, an ``AgentEnv`` class or a zero-argument factory (one env per episode);
    ``tasks`` is a number (the split's first N) or task ids. Keyword options: see ``acollect``."""
    return asyncio.run(acollect(policy_url, env, tasks, group_size, **kwargs))
