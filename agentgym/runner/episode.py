"""One episode: the loop between a policy and an env, producing a ``Trajectory``.

The loop never lets model output crash an episode (the env turns it into observations). Failures of the
harness or of a provider are raised as ``InfrastructureError`` so the engine can record and retry them.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from agentgym.env import AgentEnv
from agentgym.policies.base import Observation, Policy
from agentgym.types import Trajectory, Usage


async def run_episode(env: AgentEnv, policy: Policy, *, task_id: str, seed: int, sample: int = 0,
                      episode_id: str | None = None) -> Trajectory:
    """Play one episode to the end (termination or the env's turn limit) and return its trajectory."""
    base = env.unwrapped
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat()
    episode_id = episode_id or f"{task_id}#{sample}"
    obs, info = await base.areset(seed=seed, options={"task_id": task_id, "sample": sample,
                                                      "episode_id": episode_id})
    await policy.begin(episode_id, base.task, seed, env)
    usage = Usage()
    try:
        done = False
        turn = 0
        while not done:
            observation = Observation(episode_id=episode_id, messages=list(base.messages),
                                      tools=info.get("tools", base.tool_specs), turn=turn, seed=seed)
            out = await policy.act(observation)
            # wrappers act through the env's interceptors, so the unwrapped env's async step sees them
            _, _, terminated, truncated, _ = await base.astep(out.message)
            step = base.steps[-1]
            step.usage = out.usage
            step.tokens = out.tokens
            usage = usage + out.usage
            done = terminated or truncated
            turn += 1
    finally:
        await policy.end(episode_id)
    traj = base.trajectory()
    extra: dict[str, Any] = {"usage": usage, "duration_s": time.perf_counter() - started,
                             "started_at": started_at, "policy": policy.name}
    return traj.model_copy(update=extra)
