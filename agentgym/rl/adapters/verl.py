"""verl adapter: an agentgym env as a verl agent loop (``AgentLoopBase``, ``verl.experimental.agent_loop``).

verl's agent loops are token-in/token-out: each ``run(sampling_params, **row)`` gets a dataset row, calls
``server_manager.generate(request_id, prompt_ids=..., sampling_params=...)`` for every turn and returns an
``AgentLoopOutput`` with ``prompt_ids``, ``response_ids`` (the model's turns *and* the env's tokens),
``response_mask`` (1 on generated tokens), ``response_logprobs``, ``reward_score`` and ``num_turns``.
``AgentGymAgentLoop`` plays one agentgym episode that way; the prompt ids come from ``TokenTranscript``, so
nothing is re-tokenised between turns and verl trains on exactly what its server generated.

verl is imported lazily (it is not installable on every machine): ``VerlGenerator`` and ``to_verl`` work
without it, and ``AgentGymAgentLoop`` is built and registered as ``"agentgym"`` on first access:

    from agentgym.rl.adapters.verl import AgentGymAgentLoop   # imports verl, registers "agentgym"

Dataset rows (parquet, as verl's ``RLHFDataset`` reads them) set ``agent_name: agentgym`` and carry an
``agentgym`` dict: ``{"env": "calculator", "split": "train", "task_id": "...", "sample": 0, "max_turns": 8}``
(see ``task_rows``). Point verl's agent-loop config at this module, e.g.
``actor_rollout_ref.rollout.agent.agent_loop_config_path`` with
``- name: agentgym\n  _target_: agentgym.rl.adapters.verl.AgentGymAgentLoop``.
"""

from __future__ import annotations

import uuid
from typing import Any

from agentgym.env import derive_seed
from agentgym.rl.rollout import Completion, TokenEpisode, rollout
from agentgym.types import Message


class VerlGenerator:
    """A ``Generator`` over verl's ``server_manager`` (token-in/token-out, one sticky request id per episode)."""

    def __init__(self, server_manager: Any, sampling_params: dict[str, Any], request_id: str | None = None,
                 max_tokens: int | None = None):
        self.server_manager, self.sampling_params = server_manager, dict(sampling_params)
        if max_tokens is not None:
            self.sampling_params.setdefault("max_tokens", max_tokens)
        self.request_id = request_id or uuid.uuid4().hex

    async def generate(self, history: list[Message], tools: list[dict[str, Any]], prompt_ids: list[int], *,
                       seed: int, turn: int) -> Completion:
        out = await self.server_manager.generate(self.request_id, prompt_ids=list(prompt_ids),
                                                 sampling_params=self.sampling_params)
        if isinstance(out, list):  # older verl returns bare token ids
            return Completion(list(out), [0.0] * len(out))
        ids = list(out.token_ids)
        lps = getattr(out, "log_probs", None)
        return Completion(ids, [float(x) for x in lps] if lps else [0.0] * len(ids))


def to_verl(episode: TokenEpisode, response_length: int | None = None) -> dict[str, Any]:
    """The fields of verl's ``AgentLoopOutput`` for an episode (response cut to ``response_length``)."""
    p = episode.prompt_length
    cut = slice(p, None if response_length is None else p + response_length)
    return {"prompt_ids": episode.token_ids[:p], "response_ids": episode.token_ids[cut],
            "response_mask": episode.loss_mask[cut], "response_logprobs": episode.logprobs[cut],
            "reward_score": float(episode.episode_reward), "num_turns": len(episode.messages),
            "extra_fields": {"turn_rewards": list(episode.turn_rewards), "task_id": episode.task_id,
                             "success": bool(episode.metrics.get("success", False))}}


def task_rows(env: str, split: str = "train", tasks: int | None = None, group_size: int = 1,
              **options: Any) -> list[dict[str, Any]]:
    """Dataset rows for verl (write them to parquet): one per task and sample. verl itself repeats each row
    ``rollout.n`` times, so ``group_size=1`` is the usual choice there."""
    from agentgym.registry import make

    e = make(env, split=split)
    try:
        chosen = e.tasks if tasks is None else e.tasks[:tasks]
        rows = []
        for task in chosen:
            e.reset(seed=task.seed, options={"task_id": task.id})
            prompt = [{"role": m.role, "content": m.content} for m in e.initial_messages]
            for s in range(group_size):
                rows.append({"agent_name": "agentgym", "prompt": prompt, "data_source": f"agentgym/{env}",
                             "agentgym": {"env": env, "split": split, "task_id": task.id, "sample": s, **options}})
    finally:
        e.close()
    return rows


async def run_row(server_manager: Any, tokenizer: Any, sampling_params: dict[str, Any], row: dict[str, Any],
                  response_length: int | None = None) -> dict[str, Any]:
    """Play one dataset row's episode through ``server_manager`` and return ``AgentLoopOutput`` fields."""
    from agentgym.registry import make

    spec = dict(row["agentgym"])
    env_kwargs = {"max_turns": spec["max_turns"]} if spec.get("max_turns") else {}
    env = make(spec["env"], split=spec.get("split", "train"), **env_kwargs)
    try:
        sample = int(spec.get("sample", 0))
        gen = VerlGenerator(server_manager, sampling_params, max_tokens=spec.get("max_tokens"))
        ep = await rollout(env, gen, tokenizer, spec["task_id"], sample=sample,
                           seed=derive_seed(spec.get("seed", 0), spec["task_id"], sample),
                           reward=spec.get("reward", "env"), on_drift="warn")
    finally:
        env.close()
    return to_verl(ep, response_length)


def _build() -> type:
    from verl.experimental.agent_loop.agent_loop import (  # type: ignore[import-not-found]
        AgentLoopBase,
        AgentLoopMetrics,
        AgentLoopOutput,
        register,
    )

    @register("agentgym")
    class AgentGymAgentLoop(AgentLoopBase):  # type: ignore[misc, valid-type]
        """Plays the row's agentgym task; the whole episode is one response with a loss mask."""

        async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> Any:
            config = getattr(self, "config", None)
            length = None
            try:
                length = int(config.actor_rollout_ref.rollout.response_length)  # type: ignore[union-attr]
            except AttributeError:
                pass
            fields = await run_row(self.server_manager, self.tokenizer, sampling_params, kwargs, length)
            return AgentLoopOutput(**fields, metrics=AgentLoopMetrics())

    return AgentGymAgentLoop


def __getattr__(name: str) -> Any:
    if name == "AgentGymAgentLoop":
        cls = _build()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


__all__ = ["AgentGymAgentLoop", "VerlGenerator", "run_row", "task_rows", "to_verl"]
