"""Vectorised agentgym envs through gymnasium's own vector API (sync or async, with autoreset).

Observations and actions are chat messages, which gymnasium batches as tuples (one item per sub-env).
Async envs run each sub-env in its own process; shared memory is off since messages are Python objects.
"""

from __future__ import annotations

from typing import Any, Literal

import gymnasium

from agentgym.registry import discover, gym_id


def make_vector(name: str, num_envs: int, mode: Literal["sync", "async"] = "sync",
                autoreset: Literal["next_step", "same_step"] = "next_step", **env_kwargs: Any
                ) -> gymnasium.vector.VectorEnv:
    """``num_envs`` copies of env ``name``; keyword arguments go to each env (split, sandbox, ...)."""
    discover()
    modes = {"next_step": gymnasium.vector.AutoresetMode.NEXT_STEP,
             "same_step": gymnasium.vector.AutoresetMode.SAME_STEP}
    vector_kwargs: dict[str, Any] = {"autoreset_mode": modes[autoreset]}
    if mode == "async":
        vector_kwargs["shared_memory"] = False
    return gymnasium.make_vec(gym_id(name), num_envs=num_envs, vectorization_mode=mode,
                              vector_kwargs=vector_kwargs, **env_kwargs)
