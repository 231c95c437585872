"""FinTrace's metrics on hand-made trajectories, each against a value worked out by hand."""

from __future__ import annotations

import pytest

from agentgym.evaluators.registry import get_metric, known_metrics
from agentgym.evaluators.view import build_view


def run(name, traj, **params):
    spec = get_metric(name)
    return spec.fn(build_view(traj, traj.metrics), spec.params.model_validate(params))


GOLD = {"answer": 8, "calls": [{"name": "lookup", "arguments": {"name": "rate"}},
                               {"name": "add", "arguments": {"a": 1, "b": 7}}]}


def test_all_nine_fintrace_metrics_are_registered():
    assert {"tool_f1", "task_relevance", "step_efficiency", "redundancy", "logical_progression",
            "information_utilization", "progress_score", "task_pass", "final_answer_quality"} <= set(known_metrics())


def test_tool_f1_and_per_turn_rewards(make_traj, tc):
    # pred: lookup(rate) exact; add(1, 8) vs gold add(1, 7): (1 + 1 + 1)/4 = 0.75; add(1, 7) exact.
    # Hungarian pairs lookup-lookup (1) and add(1,7)-add (1): P = 2/3, R = 1, F1 = 0.8.
    traj = make_traj([[tc("lookup", 7, name="rate")], [tc("add", 9, a=1, b=8)], [tc("add", 8, a=1, b=7)],
                      "ANSWER: 8"], gold=GOLD)
    v = run("tool_f1", traj)
    assert v.value == pytest.approx(0.8)
    assert v.details["precision"] == pytest.approx(2 / 3) and v.details["recall"] == 1.0
    # per turn: each turn's call reward; turn 1's call lost its gold partner to turn 2's exact call;
    # the answer turn earns 1 because the answer states the gold value
    assert v.per_turn == {0: 1.0, 1: 0.0, 2: 1.0, 3: 1.0}
    assert run("tool_f1", traj, output="precision").value == pytest.approx(2 / 3)
    greedy = run("tool_f1", traj, matching="greedy")
    assert greedy.value == pytest.approx(0.8)  # no trap here: greedy finds the optimum too


def test_tool_f1_ignores_noise_failures_but_not_model_failures(make_traj, tc):
    traj = make_traj([[tc("lookup", error="noise", name="rate")], [tc("lookup", 7, name="rate")],
                      [tc("add", 8, a=1, b=7)], "ANSWER: 8"], gold=GOLD)
    assert run("tool_f1", traj).value == 1.0
    traj = make_traj([[tc("lookup", error="invalid_arguments", name=3)], [tc("lookup", 7, name="rate")],
                      [tc("add", 8, a=1, b=7)], "ANSWER: 8"], gold=GOLD)
    # lookup(name=3) vs gold lookup(rate): (1 + 1 + 0)/3 but unmatched; P = 2/3, R = 1
    assert run("tool_f1", traj).value == pytest.approx(0.8)


def test_tool_f1_not_applicable_without_gold_calls(make_traj, tc):
    assert run("tool_f1", make_traj([[tc("add", 3, a=1, b=2)], "3"], gold={"answer": 3})).value is None
    # an env's own data under "calls" (here: phone calls) is not a list of tool calls
    other = make_traj([[tc("add", 3, a=1, b=2)], "3"], gold={"calls": ["+44 20 7946 0000"]})
    assert run("tool_f1", other).value is None and run("step_efficiency", other).value is None


def test_step_efficiency(make_traj, tc):
    four_turns = [[tc("lookup", 7, name="rate")], [tc("add", 8, a=1, b=7)], [tc("add", 8, a=1, b=7)], "8"]
    assert run("step_efficiency", make_traj(four_turns, gold={"steps": 3})).value == 0.75
    # no "steps": len(gold calls) + 1 = 3 over 4 turns
    assert run("step_efficiency", make_traj(four_turns, gold=GOLD)).value == 0.75
    assert run("step_efficiency", make_traj(["8"], gold=GOLD)).value == 1.0  # capped at 1
    assert run("step_efficiency", make_traj(["8"], gold={})).value is None
    assert run("step_efficiency", make_traj(["8"], gold={"steps": ["plan", "steps"]})).value is None


def test_redundancy(make_traj, tc):
    # 1: lookup fails (tool error); 2: retry succeeds (not redundant); 3: add ok; 4: same add again
    # (redundant); 5: unknown tool (no-op); a noise failure is left out entirely. 2 of 5 redundant.
    traj = make_traj([[tc("lookup", error="tool_error", name="rate")], [tc("lookup", 7, name="rate")],
                      [tc("add", 8, a=1, b=7), tc("add", 8, a=1, b=7)], [tc("nope", error="unknown_tool")],
                      [tc("add", error="noise", a=1, b=7)], "8"])
    v = run("redundancy", traj)
    assert v.value == pytest.approx(1 - 2 / 5)
    assert v.per_turn == {0: 1.0, 1: 1.0, 2: 0.5, 3: 0.0}
    assert run("redundancy", make_traj(["8"])).value == 1.0


def test_redundancy_resets_when_the_state_changes(make_traj, tc):
    # read, write, read again (state changed: needed), read a third time (nothing changed: redundant),
    # write the same note again right away (a no-op: redundant). 2 of 5.
    tools = [{"name": "read", "mutates": False}, {"name": "write", "mutates": True}]
    traj = make_traj([[tc("read", "a=1")], [tc("write", "ok", a=2)], [tc("read", "a=2")], [tc("read", "a=2")],
                      [tc("write", "ok", a=2)], "done"], tools=tools)
    v = run("redundancy", traj)
    assert v.value == pytest.approx(1 - 2 / 5)
    assert v.per_turn == {0: 1.0, 1: 1.0, 2: 1.0, 3: 0.0, 4: 0.0}
    # without the mutates flag the second read counts as a repeat as well
    untyped = make_traj([[tc("read", "a=1")], [tc("write", "ok", a=2)], [tc("read", "a=1")]])
    assert run("redundancy", untyped).value == pytest.approx(2 / 3)


def test_task_relevance(make_traj, tc):
    # lookup is a gold tool (1), multiply is not (0), the unknown tool was rejected (0): 1/3
    traj = make_traj([[tc("lookup", 7, name="rate"), tc("multiply", 14, a=2, b=7)],
                      [tc("nope", error="unknown_tool")], "8"], gold=GOLD)
    v = run("task_relevance", traj)
    assert v.value == pytest.approx(1 / 3)
    assert v.per_turn == {0: 0.5, 1: 0.0}
    # without gold calls only the env's acceptance counts: 2/3
    traj = make_traj([[tc("lookup", 7, name="rate"), tc("multiply", 14, a=2, b=7)],
                      [tc("nope", error="unknown_tool")], "8"])
    assert run("task_relevance", traj).value == pytest.approx(2 / 3)


def test_logical_progression(make_traj, tc):
    # names [lookup, add, add] vs gold [lookup, add]: LCS 2, 2*2/(3+2) = 0.8
    traj = make_traj([[tc("lookup", 7, name="rate")], [tc("add", 9, a=1, b=8)], [tc("add", 8, a=1, b=7)], "8"],
                     gold=GOLD)
    assert run("logical_progression", traj).value == pytest.approx(0.8)
    # out of order: [add, lookup] vs [lookup, add]: LCS 1 -> 2/4
    traj = make_traj([[tc("add", 8, a=1, b=7)], [tc("lookup", 7, name="rate")], "8"], gold=GOLD)
    assert run("logical_progression", traj).value == pytest.approx(0.5)
    # no gold: turn 2 repeats turn 1 verbatim -> 2 of 3 turns progress
    traj = make_traj([[tc("add", 8, a=1, b=7)], [tc("add", 8, a=1, b=7)], "8"])
    v = run("logical_progression", traj)
    assert v.value == pytest.approx(2 / 3) and v.per_turn == {0: 1.0, 1: 0.0, 2: 1.0}


def test_information_utilization(make_traj, tc):
    # lookup returned 7 and add(a=1, b=7) used it; add returned 8 but the answer says 9: 1 of 2 used
    traj = make_traj([[tc("lookup", 7, name="rate")], [tc("add", 8, a=1, b=7)], "ANSWER: 9"], gold=GOLD)
    v = run("information_utilization", traj)
    assert v.value == 0.5 and v.per_turn == {0: 1.0, 1: 0.0}
    traj = make_traj([[tc("lookup", 7, name="rate")], [tc("add", 8, a=1, b=7)], "ANSWER: 8.0"], gold=GOLD)
    assert run("information_utilization", traj).value == 1.0
    # JSON results: a leaf value reused as an argument counts
    traj = make_traj([[tc("find", '{"user": {"id": "u-17", "tier": "gold"}}', q="ann")],
                      [tc("orders", "[]", user_id="u-17")], "done"])
    v = run("information_utilization", traj)
    assert v.value == 1.0 and v.per_turn == {0: 1.0}  # an empty JSON list carries no values to use
    assert run("information_utilization", make_traj(["no tools"])).value is None
    # a write's acknowledgement is not information to use
    tools = [{"name": "save", "mutates": True}, {"name": "lookup", "mutates": False}]
    traj = make_traj([[tc("save", "saved note 'job'", key="job")], [tc("lookup", 7, name="rate")], "it is 7"],
                     tools=tools)
    v = run("information_utilization", traj)
    assert v.value == 1.0 and v.per_turn == {1: 1.0}


def test_progress_score(make_traj, tc):
    failed = make_traj([[tc("lookup", 7, name="rate")], [tc("add", 9, a=1, b=8)], "ANSWER: 9"], gold=GOLD,
                       metrics={"success": False})
    assert run("progress_score", failed).value == 0.5  # 1 of 2 gold calls reproduced exactly
    ok = make_traj(["ANSWER: 8"], gold=GOLD, metrics={"success": True})
    assert run("progress_score", ok).value == 1.0
    own = make_traj(["x"], gold={}, metrics={"success": False, "progress": 0.25})
    assert run("progress_score", own).value == 0.25


@pytest.mark.parametrize(("answer", "gold", "expected"), [
    ("ANSWER: 8.0", 8, 1.0),
    ("ANSWER: 8.5", 8, 0.0),
    ("It is paris.", "Paris", 1.0),
    ("the capital is lyon", "the capital is paris", 0.75),  # token F1: 3 of 4 both ways
])
def test_final_answer_quality(make_traj, answer, gold, expected):
    v = run("final_answer_quality", make_traj([answer], gold={"answer": gold}))
    assert v.value == pytest.approx(expected)
    assert v.per_turn == {0: pytest.approx(expected)}


def test_final_answer_quality_without_answer_or_gold(make_traj, tc):
    assert run("final_answer_quality", make_traj([[tc("add", 3, a=1, b=2)]], gold={"answer": 3})).value == 0.0
    assert run("final_answer_quality", make_traj(["3"], gold={})).value is None


def test_task_pass_and_env_metric(make_traj):
    traj = make_traj(["x"], metrics={"success": True, "turns": 6, "sr": 0.4})
    assert run("task_pass", traj).value == 1.0
    assert run("env_metric", traj, key="sr").value == 0.4
    assert run("env_metric", traj, key="turns", min=0, max=8).value == 0.75
    assert run("env_metric", traj, key="turns", min=0, max=8, invert=True).value == 0.25
    assert run("env_metric", traj, key="turns").value == 1.0  # clamped into [0, 1]
    assert run("env_metric", traj, key="missing").value is None
    assert run("task_pass", make_traj(["x"], metrics={"turns": 1})).value is None


def test_no_violations(make_traj):
    v = run("no_violations", make_traj(["a", "b", "c", "d"], violations={1}))
    assert v.value == 0.75 and v.per_turn == {0: 1.0, 1: 0.0, 2: 1.0, 3: 1.0}


def test_tool_f1_soft_matching_through_a_rubric(make_traj, tc):
    from agentgym.evaluators import load_rubric

    # pred: the exact lookup and add(1, 8), 0.75 against gold add(1, 7). Hungarian matches 1 + 0.75, so
    # P = R = F1 = 1.75 / 2; the soft plan spreads a little mass onto zero-similarity pairs: just below.
    traj = make_traj([[tc("lookup", 7, name="rate")], [tc("add", 9, a=1, b=8)], "ANSWER: 9"], gold=GOLD,
                     metrics={"success": False})
    rubric = load_rubric({"name": "soft", "criteria": [
        {"name": "hard", "kind": "rule", "metric": "tool_f1"},
        {"name": "soft", "kind": "rule", "metric": "tool_f1", "params": {"matching": "sinkhorn", "reg": 0.1}}]})
    r = rubric.score(traj)
    assert r.criteria["hard"] == pytest.approx(1.75 / 2)  # P = R = (1 + 0.75) / 2
    assert r.criteria["hard"] - 0.01 < r.criteria["soft"] < r.criteria["hard"]
