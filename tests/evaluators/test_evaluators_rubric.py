"""Rubrics as data: loading, errors that name the file and criterion, combinators, hashing, the contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agentgym
from agentgym.env import AgentEnv
from agentgym.errors import ConfigError
from agentgym.evaluators import (
    Rubric, RubricResult, builtin_rubrics, load_rubric, rubric_for, score_trajectory,
)
from agentgym.types import Trajectory


def metric_rubric(combine="weighted_sum", **extra):
    """Criteria reading the env's metrics a=1, b=0.5, c=0 (set per test) with weights 2, 1, 1."""
    return {"name": "t", "combine": combine, "criteria": [
        {"name": "a", "axis": "x", "kind": "rule", "metric": "env_metric", "params": {"key": "a"}, "weight": 2},
        {"name": "b", "axis": "x", "kind": "rule", "metric": "env_metric", "params": {"key": "b"}, "weight": 1},
        {"name": "c", "axis": "y", "kind": "rule", "metric": "env_metric", "params": {"key": "c"}, "weight": 1},
        *extra.get("more", [])]}


METRICS = {"success": True, "a": 1.0, "b": 0.5, "c": 0.0}


def test_weighted_sum_and_axes(make_traj):
    r = load_rubric(metric_rubric()).score(make_traj(["x"], metrics=METRICS))
    assert r.total == pytest.approx((2 * 1 + 1 * 0.5 + 0) / 4)
    assert r.axes == pytest.approx({"x": (2 + 0.5) / 3, "y": 0.0})
    assert r.criteria == {"a": 1.0, "b": 0.5, "c": 0.0}


def test_product(make_traj):
    spec = metric_rubric("product")
    spec["criteria"] = spec["criteria"][:2]  # a^2 * b^1 = 1 * 0.5
    assert load_rubric(spec).score(make_traj(["x"], metrics=METRICS)).total == pytest.approx(0.5)
    spec["criteria"][1]["weight"] = 2  # b^2
    assert load_rubric(spec).score(make_traj(["x"], metrics=METRICS)).total == pytest.approx(0.25)


def test_gate_zeroes_the_total_only_when_it_fails(make_traj):
    gate = {"name": "must_b", "kind": "rule", "metric": "env_metric", "params": {"key": "b"}, "weight": 0,
            "gate": True, "threshold": 0.5}
    r = load_rubric(metric_rubric(more=[gate])).score(make_traj(["x"], metrics=METRICS))
    assert r.gates == {"must_b": True} and r.total == pytest.approx(2.5 / 4)  # weight 0: no share of the sum
    strict = {**gate, "threshold": 1.0}
    r = load_rubric(metric_rubric(more=[strict])).score(make_traj(["x"], metrics=METRICS))
    assert r.gates == {"must_b": False} and r.total == 0.0
    assert r.criteria["a"] == 1.0  # the criteria are still reported


def test_inapplicable_criteria_are_skipped_not_zeroed(make_traj):
    r = load_rubric(metric_rubric()).score(make_traj(["x"], metrics={"success": True, "a": 1.0}))
    assert r.skipped == ["b", "c"] and r.total == 1.0 and "b" not in r.criteria


def test_per_turn_components_include_the_envs_own(make_traj, tc):
    traj = make_traj([[tc("add", 3, a=1, b=2)], [tc("add", 3, a=1, b=2)], "ANSWER: 3"],
                     gold={"answer": 3, "calls": [{"name": "add", "arguments": {"a": 1, "b": 2}}]},
                     metrics={"success": True}, components=[{"progress": 0.5}, {"progress": 0.0}, {}])
    r = load_rubric("default").score(traj)
    assert len(r.per_turn) == 3
    assert r.per_turn[0]["env.progress"] == 0.5 and r.per_turn[1]["env.progress"] == 0.0
    assert r.per_turn[0]["redundancy"] == 1.0 and r.per_turn[1]["redundancy"] == 0.0
    assert r.per_turn[0]["tool_f1"] == 1.0 and r.per_turn[1]["tool_f1"] == 0.0
    assert r.per_turn[2]["final_answer_quality"] == 1.0


def write(tmp_path: Path, text: str, name: str = "r.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(("body", "needles"), [
    ("name: r\ncriteria:\n  - {name: speedy, kind: rule}\n", ["speedy", "unknown metric"]),
    ("name: r\ncriteria:\n  - {name: tool_f1, kind: rule, weight: -2}\n", ["tool_f1", "weight"]),
    ("name: r\ncriteria:\n  - {name: tool_f1, kind: rule, weight: heavy}\n", ["tool_f1", "weight"]),
    ("name: r\ncriteria:\n  - {name: tool_f1, kind: rule, weight: .inf}\n", ["tool_f1", "weight"]),
    ("name: r\ncriteria:\n  - {name: tool_f1, kind: rule, wieght: 1}\n", ["tool_f1", "wieght", "unknown field"]),
    ("name: r\ncriteria:\n  - {name: tool_f1, kind: rule, params: {matching: fuzzy}}\n", ["tool_f1", "matching"]),
    ("name: r\ncriteria:\n  - {name: s, kind: rule, metric: env_metric}\n", ["'s'", "key"]),
    ("name: r\ncriteria:\n  - {name: tool_f1, kind: judge}\n", ["tool_f1", "unknown judge metric"]),
    ("name: r\ncriteria:\n  - {name: c, kind: checklist, params: {items: [{check: telepathy}]}}\n", ["'c'", "telepathy"]),
    ("name: r\ncriteria:\n  - {name: c, kind: checklist, params: {items: [{check: regex, pattern: '(('}]}}\n",
     ["'c'", "bad regex"]),
    ("name: r\ncriteria:\n  - {name: tool_f1, kind: rule}\n  - {name: tool_f1, kind: rule}\n", ["twice"]),
    ("name: r\ncriteria:\n  - {name: tool_f1, kind: rule, weight: 0}\n", ["weight > 0"]),
    ("name: r\ncriteria: [\n", ["not valid YAML"]),
    ("- just a list\n", ["mapping"]),
])
def test_bad_rubric_files_name_the_file_and_criterion(tmp_path, body, needles):
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        load_rubric(path)
    assert str(path) in str(err.value)
    for needle in needles:
        assert needle in str(err.value)


def test_json_rubric_and_missing_names(tmp_path):
    path = write(tmp_path, json.dumps({"name": "j", "criteria": [{"name": "task_pass", "kind": "rule"}]}), "r.json")
    assert load_rubric(path).name == "j"
    with pytest.raises(ConfigError, match="no rubric named 'nonexistent'"):
        load_rubric("nonexistent")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_rubric(tmp_path / "missing.yaml")


def test_rubric_hash_is_canonical(tmp_path):
    body = "name: r\ncriteria:\n  - {name: tool_f1, kind: rule, weight: 1}\n  - {name: task_pass, kind: rule}\n"
    a = load_rubric(write(tmp_path, body, "a.yaml"))
    reordered = "criteria:\n  - {weight: 1.0, kind: rule, name: tool_f1}\n  - {name: task_pass, kind: rule}\nname: r\n"
    b = load_rubric(write(tmp_path, reordered, "b.yaml"))
    assert a.rubric_hash == b.rubric_hash and len(a.rubric_hash) == 64  # same content, other file and layout
    heavier = load_rubric(write(tmp_path, body.replace("weight: 1", "weight: 2"), "c.yaml"))
    assert heavier.rubric_hash != a.rubric_hash
    judged = a.with_judge("openai/some-judge", base_url="http://127.0.0.1:1/v1", api_key="sk-secret-123")
    assert judged.rubric_hash != a.rubric_hash  # the judge model changes results
    assert judged.with_judge("openai/some-judge", base_url="http://127.0.0.1:2/v1").rubric_hash == \
        judged.rubric_hash  # where it is served does not
    assert "sk-secret-123" not in json.dumps(judged.model_dump(mode="json"))  # nor is the key ever dumped


@pytest.mark.parametrize("name", builtin_rubrics())
def test_every_shipped_rubric_loads(name):
    rubric = load_rubric(name)
    assert rubric.name == name and isinstance(rubric, Rubric)


def test_rubric_for_env_default_and_fallback():
    assert rubric_for("calculator").name == "calculator"
    assert rubric_for(agentgym.registry.env_class("calculator")).name == "calculator"

    class Plain(AgentEnv):
        default_rubric = None

    assert rubric_for(Plain).name == "default"
    Plain.default_rubric = "no-such-rubric"
    with pytest.raises(ConfigError, match="no-such-rubric"):
        rubric_for(Plain)


def play_calculator(task_id: str, wrong: bool = False) -> Trajectory:
    env = agentgym.make("calculator", split="test")
    env.reset(seed=0, options={"task_id": task_id})
    oracle = env.make_oracle(env.task)
    done = False
    while not done:
        action = oracle.act(env.messages)
        if wrong and not action.tool_calls:
            action = action.model_copy(update={"content": "ANSWER: -12345"})
        _, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
    traj = env.trajectory()
    env.close()
    return traj


def test_score_trajectory_contract():
    traj = play_calculator("calc-test-0000")
    stale = traj.model_copy(update={"metrics": {"success": False}})  # stored metrics are not trusted
    scored = score_trajectory(stale)
    assert stale.scores == {} and stale.metrics == {"success": False}  # pure: the input is untouched
    assert scored.metrics["success"] is True
    result = RubricResult.model_validate(scored.scores)
    assert result.rubric == "calculator" and result.rubric_hash == rubric_for("calculator").rubric_hash
    assert result.total == 1.0 and 0 <= min(result.axes.values())
    assert set(result.axes) == {"action_correctness", "execution_efficiency", "process_quality", "output_quality"}
    assert len(result.per_turn) == len(traj.steps)
    # round-trips through JSON as a stored trajectory does
    again = Trajectory.model_validate_json(scored.model_dump_json())
    assert again.scores == scored.scores
    assert score_trajectory(again).scores == scored.scores  # deterministic


def test_score_trajectory_failed_episode_and_rubric_choice():
    traj = play_calculator("calc-test-0001", wrong=True)
    scored = score_trajectory(traj)
    assert scored.metrics["success"] is False
    s = scored.scores
    assert s["criteria"]["success"] == 0.0 and s["criteria"]["tool_f1"] == 1.0  # right calls, wrong answer
    assert 0.0 < s["total"] < 1.0 and s["gates"] == {"answered": True}
    # the generic default by name, and a task naming its own rubric
    assert score_trajectory(traj, "default").scores["rubric"] == "default"
    own = traj.model_copy(update={"task": traj.task.model_copy(update={"rubric": "default"})})
    assert score_trajectory(own).scores["rubric"] == "default"


def test_calculator_gate_fails_without_an_answer_line():
    traj = play_calculator("calc-test-0002")
    last = traj.steps[-1]
    broken = traj.model_copy(update={"steps": traj.steps[:-1] + [
        last.model_copy(update={"action": last.action.model_copy(update={"content": "I think it is big."})})]})
    s = score_trajectory(broken).scores
    assert s["gates"] == {"answered": False} and s["total"] == 0.0


def test_stored_scores_equal_the_pydantic_json_dump():
    traj = play_calculator("calc-test-0003", wrong=True)
    result = load_rubric("calculator").score(traj)
    assert result.to_scores() == result.model_dump(mode="json")
    assert json.loads(json.dumps(result.to_scores())) == result.to_scores()
