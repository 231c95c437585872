"""Noise wrappers on every shipped env: solvability, determinism, logging, and metrics that catch a
policy trusting noisy tools blindly."""

from __future__ import annotations

import asyncio
import re

import pytest

import agentgym
from agentgym.errors import ConfigError
from agentgym.noise import TOOL_TYPES, USER_TYPES, apply_noise, parse_noise, robustness
from agentgym.policies import OraclePolicy
from agentgym.policies.base import Observation, Policy, PolicyOutput
from agentgym.runner.episode import run_episode
from agentgym.types import Message, ToolCall

ENVS = agentgym.list_envs()
TASKS_PER_CHECK = 40  # per env and noise type; keeps the 11 x N matrix fast


def _play(env, policy, tasks):
    async def go():
        return [await run_episode(env, policy, task_id=t.id, seed=t.seed) for t in tasks]

    return asyncio.run(go())


def _has_user(name: str) -> bool:
    env = agentgym.make(name)
    env.reset(seed=0)
    return env.user is not None


def test_spec_parsing_and_errors():
    config = parse_noise("tool:failure=0.2,wrong,max_total=3,seed=7")
    assert config.rates == {"failure": 0.2, "wrong": 0.3} and config.max_total == 3 and config.seed == 7
    assert parse_noise(config.spec()) == config
    for bad, message in [("failure=0.2", "start with 'tool:'"), ("tool:nonsense", "unknown tool noise"),
                         ("tool:failure=2", r"must be in \[0, 1\]"), ("user:", "names no noise type"),
                         ("tool:failure=x", "must be a number"), ("user:failure", "unknown user noise")]:
        with pytest.raises(ConfigError, match=message):
            parse_noise(bad)


@pytest.mark.parametrize("name", ENVS)
@pytest.mark.parametrize("kind", TOOL_TYPES)
def test_tool_noise_keeps_tasks_solvable(name, kind):
    env = apply_noise(agentgym.make(name), [f"tool:{kind}=0.3"])
    tasks = env.unwrapped.tasks[:TASKS_PER_CHECK]
    trajs = _play(env, OraclePolicy(), tasks)
    solved = sum(t.success for t in trajs) / len(trajs)
    injected = sum(len(s.noise) for t in trajs for s in t.steps)
    assert solved >= 0.99, f"{name} under tool:{kind}=0.3 solved {solved:.2%}"
    if any(s.action.tool_calls for t in trajs for s in t.steps):
        assert injected > 0, "noise at rate 0.3 was never injected"


@pytest.mark.parametrize("name", ENVS)
@pytest.mark.parametrize("kind", USER_TYPES)
def test_user_noise_keeps_tasks_solvable(name, kind):
    env = apply_noise(agentgym.make(name), [f"user:{kind}=0.3"])
    tasks = env.unwrapped.tasks[:TASKS_PER_CHECK]
    trajs = _play(env, OraclePolicy(), tasks)
    solved = sum(t.success for t in trajs) / len(trajs)
    assert solved >= 0.99, f"{name} under user:{kind}=0.3 solved {solved:.2%}"
    injected = sum(len(s.noise) for t in trajs for s in t.steps)
    if _has_user(name):
        assert injected > 0
    else:
        assert injected == 0  # envs without a simulated user are left alone


def _injections(seed: int, noise_seed: int = 0):
    env = apply_noise(agentgym.make("calculator"), [f"tool:failure=0.3,wrong=0.2,seed={noise_seed}"])
    tasks = env.unwrapped.tasks[:10]

    async def go():
        return [await run_episode(env, OraclePolicy(), task_id=t.id, seed=seed + i) for i, t in enumerate(tasks)]

    return [(e.turn, e.tool, e.type, e.original, e.injected) for t in asyncio.run(go()) for s in t.steps
            for e in s.noise]


def test_same_seed_same_injections_different_seed_different():
    first = _injections(seed=100)
    assert first and first == _injections(seed=100)
    assert _injections(seed=200) != first
    assert _injections(seed=100, noise_seed=1) != first


def test_every_injection_is_logged_with_turn_tool_type_original_injected():
    env = apply_noise(agentgym.make("calculator"), ["tool:wrong=1.0,max_total=1"])
    traj = _play(env, OraclePolicy(), env.unwrapped.tasks[:1])[0]
    events = [e for s in traj.steps for e in s.noise]
    assert len(events) == 1
    event = events[0]
    step = traj.steps[event.turn]
    result = next(m for m in step.observation if m.tool_call_id == event.call_id)
    assert event.type == "wrong" and event.tool == step.action.tool_calls[0].name
    assert result.content == event.injected != event.original


class BlindOracle(Policy):
    """Plays the env's oracle but trusts every tool result and follows every hint in it."""

    name = "blind"

    def __init__(self):
        self.inner = {}

    async def begin(self, episode_id, task, seed, env=None):
        self.inner[episode_id] = env.unwrapped.make_oracle(task)

    async def act(self, observation: Observation) -> PolicyOutput:
        last = observation.messages[-1]
        hint = re.search(r"call `(\w+)` with no arguments", last.content) if last.role == "tool" else None
        if hint:
            return PolicyOutput(Message.assistant("", [ToolCall(id="hint", name=hint.group(1), arguments={})]))
        return PolicyOutput(self.inner[observation.episode_id].act(observation.messages))


def test_a_policy_trusting_tools_blindly_degrades_and_the_metrics_show_it():
    tasks = agentgym.make("calculator").tasks
    clean = _play(agentgym.make("calculator"), BlindOracle(), tasks)
    wrong = _play(apply_noise(agentgym.make("calculator"), ["tool:wrong=0.5"]), BlindOracle(), tasks)
    report = robustness(clean, wrong)
    assert report["clean_success_rate"] == 1.0
    assert report["absolute_degradation"] > 0.3 and report["relative_degradation"] > 0.3
    induced = _play(apply_noise(agentgym.make("calculator"), ["tool:induce=0.5"]), BlindOracle(), tasks)
    report = robustness(clean, induced)
    assert report["acted_on_injection_rate"] > 0.3
    assert report["stability_gated_success_rate"] < report["noisy_success_rate"]
    assert report["turn_overhead"] > 0
    # the noise-aware oracle does not act on hints: its stability-gated success stays at 100%
    aware = _play(apply_noise(agentgym.make("calculator"), ["tool:induce=0.5"]), OraclePolicy(), tasks)
    assert robustness(clean, aware)["stability_gated_success_rate"] == 1.0
