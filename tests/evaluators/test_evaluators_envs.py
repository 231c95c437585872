"""Every registered env's default rubric scores its oracle's episodes, and names metrics the env reports.

An ``env_metric`` criterion whose key the env never reports is silently skipped on every trajectory, so a
typo in a rubric file would go unnoticed; playing a few oracle episodes per env (up to 10) catches it.
"""

from __future__ import annotations

import pytest

import agentgym
from agentgym.evaluators import rubric_for, score_trajectory
from agentgym.registry import env_class, list_envs


@pytest.mark.parametrize("name", list_envs())
def test_default_rubric_scores_oracle_episodes(name):
    cls = env_class(name)
    rubric = rubric_for(cls)
    assert rubric.name == (cls.default_rubric or "default")
    env = agentgym.make(name, split=cls.splits[0])
    wanted = {c.name for c in rubric.criteria if c.metric_name == "env_metric"}
    applicable: set[str] = set()
    try:
        for i, task in enumerate(env.tasks[:10]):
            if i >= 2 and wanted <= applicable:
                break
            env.reset(seed=0, options={"task_id": task.id})
            oracle = env.make_oracle(env.task)
            done = False
            while not done:
                _, _, terminated, truncated, _ = env.step(oracle.act(env.messages))
                done = terminated or truncated
            scores = score_trajectory(env.trajectory()).scores
            assert scores["rubric"] == rubric.name and scores["rubric_hash"] == rubric.rubric_hash
            assert 0.0 <= scores["total"] <= 1.0 and scores["total"] > 0.5  # the oracle solves its tasks
            assert len(scores["per_turn"]) == len(env.trajectory().steps)
            applicable |= set(scores["criteria"])
    finally:
        env.close()
    never = sorted(wanted - applicable)
    assert not never, f"{name}: env_metric criteria never applicable in 10 oracle episodes (key typo?): {never}"
