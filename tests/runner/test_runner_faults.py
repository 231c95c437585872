"""A 200-episode run against the loopback fake provider injecting 429s, 500s and timeouts into 20% of
calls completes with every episode scored (the real openai-compatible client, the real engine)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agentgym.registry import env_class
from agentgym.runner.engine import run
from agentgym.testing.fake_openai import FakeOpenAIServer, FaultPlan


def calculator_responder() -> Any:
    """Plays the calculator's gold plan from the conversation alone: the instruction names the steps, the
    tool results carry the looked-up constant and the running value (tasks may share an instruction)."""
    tasks = {t.instruction: t for t in env_class("calculator").load_split("train")}

    def respond(request: dict[str, Any]) -> dict[str, Any]:
        messages = request["messages"]
        task = tasks[next(m["content"] for m in messages if m["role"] == "user")]
        results = [float(m["content"]) for m in messages if m["role"] == "tool"]
        plan, done = task.gold["plan"], sum(1 for m in messages if m["role"] == "assistant")
        lookup = any(p["constant"] for p in plan)
        if lookup and done == 0:
            return {"content": "", "tool_calls": [{"name": "lookup", "arguments": {"name": "rate"}}]}
        step = done - int(lookup)
        if step < len(plan):
            a = task.gold["start"] if step == 0 else results[-1]
            b = results[0] if plan[step]["constant"] else plan[step]["b"]
            return {"content": "", "tool_calls": [{"name": plan[step]["tool"], "arguments": {"a": a, "b": b}}]}
        value = results[-1]
        return {"content": f"ANSWER: {int(value) if value == int(value) else value}"}

    return respond


@pytest.mark.slow
def test_200_episodes_complete_through_injected_faults(tmp_path: Path) -> None:
    pytest.importorskip("agentgym.policies.openai_compat")
    faults = FaultPlan(rate=0.2, kinds=("429", "500", "slow"), slow_s=1.0, seed=11)
    with FakeOpenAIServer(responder=calculator_responder(), faults=faults) as server:
        result = run("calculator", split="train", model="fake-model", base_url=server.base_url, limit=100,
                     samples=2, concurrency=16, out=tmp_path / "r", progress=False,
                     policy_kwargs={"timeout_s": 0.3, "backoff_s": 0.01, "max_retries": 3})
        served = Counter(server.faults_served)
    assert served["429"] > 10 and served["500"] > 10 and served["slow"] > 10  # the faults really happened
    s = result.scores
    assert s["n_episodes"] == 200 and s["n_infra_errors"] == 0 and s["success_rate"] == 1.0
    ids = [json.loads(line)["id"] for line in (tmp_path / "r" / "trajectories.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 200
    assert s["usage"]["prompt_tokens"] > 0 and s["usage"]["calls"] > 0
