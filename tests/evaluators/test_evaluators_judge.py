"""LLM judges through litellm against the loopback fake provider: caching, malformed output, failures, cost."""

from __future__ import annotations

import json

import pytest

from agentgym.errors import InfrastructureError
from agentgym.evaluators import load_rubric
from agentgym.testing.fake_openai import FakeOpenAIServer, FaultPlan

IN_COST, OUT_COST = 1e-6, 2e-6


def verdict(score=4, reason="uses the tool results"):
    return lambda request: {"content": json.dumps({"score": score, "reason": reason})}


def judged_rubric(server, cache_dir, version="1", **judge):
    return load_rubric({"name": "judged", "judge": {
        "model": "openai/judge-fake", "base_url": server.base_url, "cache_dir": str(cache_dir),
        "input_cost_per_token": IN_COST, "output_cost_per_token": OUT_COST, "max_retries": 2, **judge},
        "criteria": [
            {"name": "task_pass", "kind": "rule", "axis": "output_quality", "weight": 1},
            {"name": "final_answer_quality", "kind": "judge", "axis": "output_quality", "weight": 1},
            {"name": "politeness", "kind": "judge", "metric": "custom", "axis": "process_quality", "weight": 1,
             "params": {"prompt": "Is the agent polite and concise with the user?", "version": version}}]})


@pytest.fixture
def traj(make_traj, tc):
    return make_traj([[tc("lookup", 7, name="rate")], [tc("add", 8, a=1, b=7)], "ANSWER: 8"],
                     gold={"answer": 8}, metrics={"success": True}, instruction="Compute (1 + rate).")


def test_judgement_cost_identity_and_cache(tmp_path, traj):
    with FakeOpenAIServer(responder=verdict(4)) as server:
        first = judged_rubric(server, tmp_path).score(traj)
        assert len(server.requests) == 2  # one per judge criterion, none for the rule
        assert first.criteria == {"task_pass": 1.0, "final_answer_quality": 0.75, "politeness": 0.75}
        assert first.total == pytest.approx((1 + 0.75 + 0.75) / 3)
        for name in ("final_answer_quality", "politeness"):
            j = first.judges[name]
            assert (j["mode"], j["model"], j["cached"], j["raw_score"]) == ("judge", "openai/judge-fake", False, 4)
            assert j["reason"] == "uses the tool results"
            expected = j["usage"]["prompt_tokens"] * IN_COST + j["usage"]["completion_tokens"] * OUT_COST
            assert j["usage"]["prompt_tokens"] > 0 and j["cost"] == pytest.approx(expected)
        assert first.judges["politeness"]["prompt_version"] == "custom-1"
        assert first.cost == pytest.approx(sum(first.judges[n]["cost"] for n in ("final_answer_quality", "politeness")))
        assert first.cost > 0
        # what the judge was asked: JSON mode, the task, the transcript with the calls, the reference
        request = server.requests[0]
        assert request["response_format"] == {"type": "json_object"}
        prompt = request["messages"][-1]["content"]
        assert "Compute (1 + rate)." in prompt and 'add({"a": 1, "b": 7})' in prompt
        assert "Reference answer: 8" in prompt and "Final answer quality" in prompt

        again = judged_rubric(server, tmp_path).score(traj)  # a fresh rubric object, same cache dir
        assert len(server.requests) == 2  # zero new calls
        assert again.criteria == first.criteria and again.total == first.total
        assert again.cost == 0.0
        assert all(again.judges[n]["cached"] for n in ("final_answer_quality", "politeness"))
        assert again.judges["politeness"]["original_cost"] == pytest.approx(first.judges["politeness"]["cost"])

        rescored = traj.model_copy(update={"metrics": {"success": True, "extra": 1}, "scores": again.to_scores()})
        judged_rubric(server, tmp_path).score(rescored)  # stored metrics and scores are not the episode
        assert len(server.requests) == 2

        judged_rubric(server, tmp_path, version="2").score(traj)  # a new prompt version is a new judgement
        assert len(server.requests) == 3
        other = traj.model_copy(update={"steps": traj.steps[:-1]})
        judged_rubric(server, tmp_path).score(other)  # so is another trajectory
        assert len(server.requests) == 5


def test_malformed_output_is_retried(tmp_path, traj):
    replies = iter(["definitely not json", json.dumps({"score": 9, "reason": "off the scale"}),
                    "```json\n" + json.dumps({"score": 5, "reason": "fenced"}) + "\n```"])
    with FakeOpenAIServer(responder=lambda r: {"content": next(replies)}) as server:
        rubric = load_rubric({"name": "one", "judge": {"model": "openai/judge-fake", "base_url": server.base_url,
                                                       "cache_dir": str(tmp_path), "max_retries": 2},
                              "criteria": [{"name": "final_answer_quality", "kind": "judge"}]})
        r = rubric.score(traj)
        assert len(server.requests) == 3
        assert r.total == 1.0 and r.judges["final_answer_quality"]["attempts"] == 3


def test_persistently_malformed_output_is_an_infrastructure_error_not_a_zero(tmp_path, traj):
    with FakeOpenAIServer(responder=lambda r: {"content": "I'd say pretty good!"}) as server:
        with pytest.raises(InfrastructureError, match="no valid judgement.*final_answer_quality"):
            judged_rubric(server, tmp_path).score(traj)
        assert len(server.requests) == 3  # 1 + max_retries
    assert not list(tmp_path.rglob("*.json"))  # nothing cached
    with FakeOpenAIServer(responder=verdict(2)) as server:  # a later good judge is asked afresh
        assert judged_rubric(server, tmp_path).score(traj).criteria["final_answer_quality"] == 0.25


def test_provider_faults_are_retried_then_raised(tmp_path, traj):
    faults = FaultPlan(schedule={0: "500", 1: "429", 2: "malformed"})
    with FakeOpenAIServer(responder=verdict(3), faults=faults) as server:
        rubric = judged_rubric(server, tmp_path, max_retries=3)
        r = rubric.score(traj)
        assert server.faults_served == ["500", "429", "malformed"]
        assert r.judges["final_answer_quality"]["attempts"] == 4 and r.criteria["final_answer_quality"] == 0.5
    with FakeOpenAIServer(responder=verdict(3), faults=FaultPlan(rate=1.0, kinds=("500",))) as server:
        with pytest.raises(InfrastructureError, match="judge openai/judge-fake"):
            judged_rubric(server, tmp_path / "fresh", max_retries=1).score(traj)
        assert len(server.requests) == 2


def test_without_a_judge_model_the_approximation_is_used_and_recorded(traj):
    r = load_rubric("default").score(traj)
    assert r.judges["final_answer_quality"] == {"mode": "approximation", "model": None,
                                                "metric": "final_answer_quality"}
    assert r.criteria["final_answer_quality"] == 1.0 and r.cost == 0.0
