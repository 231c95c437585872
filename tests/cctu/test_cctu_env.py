"""CCTU episodes on the generated tasks: the oracle solves everything, a constraint-blind player fails with
its violations reported, and a violation followed by a refinement counts for SR but not for PSR."""

from __future__ import annotations

import agentgym
import pytest

from agentgym.envs.cctu import CCTUEnv
from agentgym.policies import OraclePolicy
from agentgym.runner.episode import run_episode
from agentgym.types import Message, ToolCall


@pytest.fixture(scope="module")
def env():
    e = agentgym.make("cctu", split="test")
    yield e
    e.close()


def play(env, task, mode="gold"):
    env.reset(options={"task_id": task.id})
    oracle = env.make_oracle(task, mode=mode)
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(oracle.act(env.messages))
        done = terminated or truncated
    return env.trajectory(), info["metrics"]


def first(env, predicate):
    return next(t for t in env.tasks if predicate(t))


def test_oracle_scores_sr_and_psr_of_one_on_every_test_task(env):
    trajectories = []
    for task in env.tasks:
        traj, metrics = play(env, task)
        assert metrics["sr"] and metrics["psr"] and metrics["solved"], (task.id, metrics)
        trajectories.append(traj.model_copy(update={"metrics": metrics}))
    agg = CCTUEnv.aggregate(trajectories)
    assert agg["sr"] == agg["psr"] == 1.0 and agg["violation_rate"] == 0.0
    assert set(agg["violation_rate_by_dimension"]) == {"resource", "behavior", "toolset", "response"}


def test_constraint_blind_player_scores_zero_with_its_violations_reported(env):
    trajectories = []
    for task in env.tasks[:80]:
        traj, metrics = play(env, task, mode="ignore")
        assert not metrics["sr"] and not metrics["psr"]
        trajectories.append(traj.model_copy(update={"metrics": metrics}))
    # it never revises its answer, so it runs into the 20-turn limit
    assert trajectories[0].truncated and len(trajectories[0].steps) == CCTUEnv.default_max_turns
    agg = CCTUEnv.aggregate(trajectories)
    assert agg["sr"] == agg["psr"] == 0.0 and agg["violation_rate"] == 1.0
    assert agg["violation_rate_by_dimension"]["response"] == 1.0
    assert agg["violation_rate_by_dimension"]["resource"] > 0.5
    for category in ("rounds", "per_tool_calls", "length", "format", "punctuation"):
        assert agg["violation_rate_by_category"][category] > 0, category


def test_violation_then_refinement_counts_for_sr_not_psr(env):
    task = first(env, lambda t: t.constraints[0]["params"]["max_round"] > len(t.gold["plan"]) + 1)
    traj, metrics = play(env, task, mode="refine")
    assert metrics["sr"] and metrics["solved"] and not metrics["psr"]
    bad, last = traj.steps[-2], traj.steps[-1]
    assert bad.violations and all(v.dimension == "response" for v in bad.violations)
    (feedback,) = bad.observation
    assert feedback.role == "user" and "INSTRUCTION FOLLOWING ERROR:" in feedback.content
    assert "NOT FOLLOWED!" in feedback.content
    assert not last.violations and last.terminated and last.observation == []


def test_violating_call_is_not_executed_and_answered_with_an_instruction_following_error(env):
    task = first(env, lambda t: any(c["category"] == "per_tool_calls" for c in t.constraints))
    limits = next(c for c in task.constraints if c["category"] == "per_tool_calls")["params"]["max_calls_per_tool"]
    name = next(iter(limits))
    call = next(c for turn in task.gold["plan"] for c in turn if c["name"] == name)
    env.reset(options={"task_id": task.id})
    calls = [ToolCall(id=f"c{i}", name=name, arguments=call["arguments"]) for i in range(limits[name] + 1)]
    obs, _, _, _, info = env.step(Message.assistant("", calls))
    *ran, blocked = obs
    assert all(m["error"] is None for m in ran)
    assert blocked["error"] == "constraint"
    assert blocked["content"].startswith("INSTRUCTION FOLLOWING ERROR: Per-Tool Call Limit NOT FOLLOWED!")
    (v,) = info["violations"]
    assert (v["constraint"], v["dimension"], v["category"]) == ("max_calls_per_tool", "resource", "per_tool_calls")


def test_unknown_tools_and_bad_arguments_never_reach_the_sandbox(env):
    task = first(env, lambda t: t.category == "single_hop")
    env.reset(options={"task_id": task.id})
    name = task.gold["plan"][0][0]["name"]
    obs, _, _, _, info = env.step(Message.assistant("", [
        ToolCall(id="a", name="rm_rf", arguments={}),
        ToolCall(id="b", name=name, arguments={**task.gold["plan"][0][0]["arguments"], "extra": 1})]))
    assert [m["error"] for m in obs] == ["constraint", "constraint"]
    assert "Available Tools Only NOT FOLLOWED!" in obs[0]["content"]
    assert "unexpected key 'extra'" in obs[1]["content"]
    assert {v["category"] for v in info["violations"]} == {"available_tools", "tool_arguments"}
    env.step(Message.assistant("", [ToolCall(id="c", name="__cctu_checker__", arguments={})]))
    assert env.steps[-1].violations[0].category == "available_tools"


def test_turn_reward_components_count_violations(env):
    task = env.tasks[0]
    env.reset(options={"task_id": task.id})
    _, _, _, _, info = env.step(Message.assistant("", [ToolCall(id="x", name="nope", arguments={})]))
    assert info["reward_components"] == {"constraint_violations": -1.0}


async def test_run_episode_with_the_oracle_policy_and_std_over_repeats(env):
    policy = OraclePolicy()
    trajectories = []
    for sample in range(2):
        for task in env.tasks[:8]:
            trajectories.append(await run_episode(env, policy, task_id=task.id, seed=sample, sample=sample))
    assert all(t.metrics["sr"] and t.metrics["psr"] for t in trajectories)
    agg = CCTUEnv.aggregate(trajectories)
    assert agg["n_samples"] == 2 and agg["sr"] == 1.0 and agg["sr_std"] == 0.0


def test_score_is_recomputed_from_the_trajectory_alone(env):
    task = first(env, lambda t: t.category == "multi_hop")
    traj, metrics = play(env, task)
    again = CCTUEnv.score(type(traj).model_validate_json(traj.model_dump_json()))
    assert again == metrics
    # a trajectory that ends on tool messages is an error, even if the gold was found
    cut = traj.model_copy(update={"steps": traj.steps[:-1]})
    assert CCTUEnv.score(cut)["solved"] and not CCTUEnv.score(cut)["sr"]
