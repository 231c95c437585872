"""CM2-style checklists: binary checks, each passed one grounded in the turn that holds its evidence."""

from __future__ import annotations

import pytest

from agentgym.errors import ConfigError
from agentgym.evaluators import load_rubric

GOLD = {"answer": 8, "city": "Paris",
        "calls": [{"name": "lookup", "arguments": {"name": "rate"}}, {"name": "add", "arguments": {"a": 1, "b": 7}}]}


def checklist(*items, **params):
    return load_rubric({"name": "c", "criteria": [
        {"name": "checks", "kind": "checklist", "axis": "process_quality", "params": {"items": list(items), **params}}]})


def score(rubric, traj):
    return rubric.score(traj)


@pytest.fixture
def traj(make_traj, tc):
    return make_traj([[tc("lookup", 7, name="rate")], [tc("add", 8, a=1, b=7), tc("sub", error="unknown_tool")],
                      "ANSWER: 8, as computed in Paris"], gold=GOLD, metrics={"success": True, "in_budget": False})


def test_each_check_type(traj):
    cases = [
        ({"check": "called", "tool": "add", "args": {"a": 1}}, True, 1),
        ({"check": "called", "tool": "add", "args": {"a": 2}}, False, None),
        ({"check": "called", "tool": "add", "turn": 0}, False, None),
        ({"check": "called", "tool": "sub"}, False, None),  # rejected calls did nothing
        ({"check": "called", "tool": "{gold.calls.0.name}", "args": {"name": "rate"}}, True, 0),
        ({"check": "not_called", "tool": "divide"}, True, None),
        ({"check": "not_called", "tool": "lookup"}, False, None),
        ({"check": "max_calls", "n": 3}, True, None),
        ({"check": "max_calls", "n": 0, "tool": "add"}, False, None),
        ({"check": "no_tool_errors"}, False, None),
        ({"check": "answer_contains", "text": "{gold.city}"}, True, 2),
        ({"check": "answer_contains", "text": "paris", "case_sensitive": True}, False, None),
        ({"check": "answer_number", "value": "{gold.answer}"}, True, 2),
        ({"check": "answer_number", "value": 9}, False, None),
        ({"check": "regex", "pattern": r"ANSWER:\s*\d+"}, True, 2),
        ({"check": "regex", "pattern": r"^7$", "target": "tool_results"}, True, 0),
        ({"check": "regex", "pattern": "computed", "target": "assistant"}, True, 2),
        ({"check": "env_metric", "key": "success"}, True, None),
        ({"check": "env_metric", "key": "in_budget"}, False, None),
    ]
    for item, passed, turn in cases:
        r = score(checklist(item), traj)
        evidence = r.details["checks"][0]
        assert (evidence["passed"], evidence["turn"]) == (passed, turn), item
        assert r.criteria["checks"] == float(passed)
        assert evidence["evidence"]


def test_value_is_the_weighted_share_and_per_turn_credit_sums_to_it(traj):
    rubric = checklist({"check": "gold_calls"}, {"check": "answer_number", "value": "{gold.answer}", "weight": 2},
                       {"check": "no_tool_errors"}, {"check": "env_metric", "key": "success"})
    r = score(rubric, traj)
    # gold_calls -> 2 checks (both pass, turns 0 and 1); answer (weight 2, turn 2) passes; no_tool_errors
    # fails; env_metric passes with no specific turn (credited to the last turn). 5 of 6 weight.
    assert r.criteria["checks"] == pytest.approx(5 / 6)
    assert [c["id"] for c in r.details["checks"]][:2] == ["gold_call[0]:lookup", "gold_call[1]:add"]
    per = [t.get("checks", 0.0) for t in r.per_turn]
    assert per == pytest.approx([1 / 6, 1 / 6, 3 / 6])
    assert sum(per) == pytest.approx(r.criteria["checks"])


def test_checks_on_missing_task_data_are_not_applicable(make_traj):
    rubric = checklist({"check": "answer_contains", "text": "{gold.nothing}"}, {"check": "regex", "pattern": "x"})
    r = score(rubric, make_traj(["x marks"], gold={}, metrics={"success": True}))
    assert r.criteria["checks"] == 1.0  # only the regex applies
    assert r.details["checks"][0]["passed"] is None
    only_missing = checklist({"check": "answer_contains", "text": "{gold.nothing}"})
    assert score(only_missing, make_traj(["x"], gold={}, metrics={"success": True})).skipped == ["checks"]


def test_a_non_numeric_answer_number_is_a_config_error(traj):
    with pytest.raises(ConfigError, match="t-0.*needs a number.*Paris"):
        score(checklist({"check": "answer_number", "value": "{gold.city}"}), traj)


def test_task_supplied_checklist(make_traj, tc):
    rubric = checklist(from_task=True)
    gold = {"checklist": [{"check": "called", "tool": "lookup"}, {"check": "answer_contains", "text": "42"}]}
    r = score(rubric, make_traj([[tc("lookup", 7, name="rate")], "it is 7"], gold=gold, metrics={"success": 1}))
    assert r.criteria["checks"] == 0.5
    bad = make_traj(["x"], gold={"checklist": [{"check": "nonsense"}]}, metrics={"success": 1})
    with pytest.raises(ConfigError, match="t-0"):
        score(rubric, bad)
