"""gymnasium vector envs (sync and async) over agentgym envs, with autoreset."""

from __future__ import annotations

import pytest

from agentgym.rl.vector import make_vector


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_env_steps_and_autoresets(mode):
    envs = make_vector("calculator", 3, mode=mode)
    try:
        obs, info = envs.reset(seed=[0, 1, 2])
        assert len(obs) == 3 and all(o[-1]["role"] == "user" for o in obs)
        first_tasks = list(info["task_id"])
        answer = {"role": "assistant", "content": "ANSWER: 0"}
        _, rewards, terminated, truncated, info = envs.step((answer,) * 3)
        assert terminated.all() and not truncated.any() and rewards.shape == (3,)
        # next-step autoreset: the following step starts a fresh episode in every sub-env
        obs, rewards, terminated, _, info = envs.step((answer,) * 3)
        assert not terminated.any() and (rewards == 0).all()
        assert all(o[-1]["role"] == "user" for o in obs)
        assert len(first_tasks) == 3
    finally:
        envs.close()
