"""The memory env through the real runner, with bounded memory on long episodes, and the LLM user option."""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path

import pytest

from agentgym.runner.engine import run

from agentgym.envs.memory import MemoryEnv
from agentgym.envs.memory.env import task_from_record
from agentgym.envs.memory.generator import generate_user


def test_scores_json_has_the_normalised_memory_score(tmp_path: Path) -> None:
    oracle = run("memory", split="test", policy="oracle", out=tmp_path / "oracle", quiet=True, progress=False)
    scores = json.loads((tmp_path / "oracle" / "scores.json").read_text())
    assert scores["n_episodes"] == 20
    assert scores["normalized_memory_score"] == pytest.approx(1.0) and scores["success_rate"] == 1.0
    assert scores["n_cells"] == 20 * 11
    assert scores["rubric"]["total"] == pytest.approx(1.0)
    none = run("memory", split="test", policy="oracle", policy_kwargs={"memory": "none"},
               out=tmp_path / "none", quiet=True, progress=False)
    assert abs(none.scores["normalized_memory_score"]) < 0.08
    assert none.scores["rubric"]["total"] < 0.3
    first = run("memory", split="test", policy="oracle", policy_kwargs={"memory": "first"},
                out=tmp_path / "first", quiet=True, progress=False, limit=5)
    assert first.scores["write_failure_rate"] > 0.3
    assert oracle.scores["write_failure_rate"] == 0.0


def _peak_per_session(n_updates: int) -> tuple[float, float, int]:
    rec = generate_user("long", "long-episode", n_updates=n_updates, vars_per_session=1, n_questions=4,
                        max_changes_per_var=10**6)
    task = task_from_record(rec, "long", 0)
    env = MemoryEnv(tasks=[task], eval_mode="end")
    sessions = sum(len(p["sessions"]) for p in rec["periods"])
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    env.reset(seed=0, options={"task_id": task.id})
    oracle = env.make_oracle(task)
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(oracle.act(env.messages))
        done = terminated or truncated
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info["metrics"]["normalized_memory_score"] == pytest.approx(1.0)
    return (peak - base) / sessions, (peak - current) / (current - base), sessions


def test_long_episodes_run_in_bounded_memory() -> None:
    """Peak memory per session stays flat from ~100 to ~400 sessions (linear: the trajectory itself), and
    the transient overhead on top of the retained episode stays a small fraction of it."""
    short, short_overhead, n_short = _peak_per_session(25)
    long, long_overhead, n_long = _peak_per_session(100)
    assert n_short >= 100 and n_long >= 4 * n_short - 50
    assert long <= 1.25 * short
    assert long_overhead < 0.25 and short_overhead < 0.25


def test_llm_user_simulator_writes_follow_ups_without_leaking_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-loopback")  # the fake provider ignores it
    pytest.importorskip("agentgym.policies.llm_user", reason="LLMUserSimulator (policies) has not landed")
    from agentgym.testing.fake_openai import FakeOpenAIServer

    env = MemoryEnv(split="test", simulator="llm", user_model="openai/fake-model")
    schema = env.get_task("memory-test-000").user["state_schema"]
    leak = "LEAK: " + ", ".join(v for values in schema.values() for v in values)
    replies = iter(["Could you tell me more about that?"] + [leak] * 10_000)

    def responder(request: dict) -> dict:
        return {"content": next(replies)}

    with FakeOpenAIServer(responder) as server:
        env.user_base_url = server.base_url
        env.reset(seed=0, options={"task_id": "memory-test-000"})
        oracle = env.make_oracle(env.task)
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(oracle.act(env.messages))
            done = terminated or truncated
        users = [m.content for m in env.messages if m.role == "user"]
        assert "Could you tell me more about that?" in users
        assert not any(u.startswith("LEAK") for u in users), "replies stating hidden values are discarded"
        assert server.requests, "follow-up rounds went to the LLM simulator"
    assert info["metrics"]["normalized_memory_score"] == pytest.approx(1.0)


def test_official_data_runs_through_the_runner(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "amemgym_two_users.json"
    result = run("memory", split=str(fixture), policy="oracle", out=tmp_path / "data", quiet=True, progress=False)
    assert result.scores["n_episodes"] == 2
    assert result.scores["normalized_memory_score"] == pytest.approx(1.0)
    assert result.scores["n_cells"] == 3  # user 1 has two periods, user 2 one


def test_llm_follow_ups_through_the_async_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("agentgym.policies.llm_user", reason="LLMUserSimulator (policies) has not landed")
    from agentgym.testing.fake_openai import FakeOpenAIServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-loopback")  # the fake provider ignores it
    with FakeOpenAIServer(lambda request: {"content": "Okay, and what would you do first?"}) as server:
        result = run("memory", split="test", policy="oracle", out=tmp_path / "llm", quiet=True, progress=False,
                     limit=1, env_kwargs={"simulator": "llm", "user_model": "openai/fake-model",
                                          "user_base_url": server.base_url})
        task = MemoryEnv.load_split("test")[0]
        follow_ups = sum(len(p["sessions"]) for p in task.user["periods"][1:])  # round 2 of update sessions
        assert len(server.requests) == follow_ups
    assert result.scores["normalized_memory_score"] == pytest.approx(1.0)
