"""The oracle solves 100% of every shipped env's test tasks: every task is solvable."""

from __future__ import annotations

import asyncio

import pytest

import agentgym
from agentgym.policies import OraclePolicy
from agentgym.runner.episode import run_episode


@pytest.mark.parametrize("name", agentgym.list_envs())
def test_oracle_solves_every_test_task(name):
    env = agentgym.make(name, split="test")
    policy = OraclePolicy()

    async def play() -> list[str]:
        failed = []
        for task in env.tasks:
            traj = await run_episode(env, policy, task_id=task.id, seed=task.seed)
            if not traj.metrics.get("success"):
                failed.append(task.id)
        return failed

    failed = asyncio.run(play())
    assert failed == [], f"{name}: oracle failed {len(failed)}/{len(env.tasks)} tasks, e.g. {failed[:5]}"
