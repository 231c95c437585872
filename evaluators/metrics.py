"""Rule metrics: FinTrace's nine trajectory metrics on four axes, plus the env's own episode metrics.

Exact (rule-only): ``tool_f1``, ``step_efficiency``, ``redundancy``, ``task_pass``, ``env_metric``,
``no_violations``. The other five (``task_relevance``, ``logical_progression``, ``information_utilization``,
``progress_score``, ``final_answer_quality``) are judged by an LLM when a rubric names them with
``kind: judge`` and a judge model is configured; otherwise (or with ``kind: rule``) they use the
deterministic approximation documented on each function. Every value is in [0, 1]; ``None`` means the
metric does not apply to this trajectory (e.g. the task has no gold calls) and the criterion is skipped.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentgym.evaluators.matching import Matching, match, similarity_matrix, token_f1
from agentgym.evaluators.registry import MetricValue, NoParams, metric
from agentgym.evaluators.view import REJECTED_ERRORS, TrajectoryView, call_key

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- the env's own metrics
class EnvMetricParams(_Params):
    key: str
    #: the metric's range, mapped onto [0, 1] (values outside are clamped)
    min: float = 0.0
    max: float = 1.0
    invert: bool = False


@metric("env_metric", EnvMetricParams)
def env_metric(view: TrajectoryView, p: EnvMetricParams) -> MetricValue:
    """A value from ``EnvClass.score(trajectory)`` (e.g. CCTU's ``sr``/``psr``, sales ``conversion``).
    Missing or non-numeric values make the criterion not applicable."""
    raw = view.metrics.get(p.key)
    if isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, int | float) and not math.isnan(raw):
        value = (float(raw) - p.min) / (p.max - p.min) if p.max != p.min else float(raw >= p.max)
    else:
        return MetricValue(None)
    value = min(1.0, max(0.0, value))
    return MetricValue(1.0 - value if p.invert else value)


@metric("task_pass")
def task_pass(view: TrajectoryView, p: NoParams) -> MetricValue:
    """Output quality, exact: the env's verdict ``success`` as 1 or 0."""
    success = view.metrics.get("success")
    return MetricValue(None if success is None else float(bool(success)))


@metric("no_violations")
def no_violations(view: TrajectoryView, p: NoParams) -> MetricValue:
    """Share of turns without a constraint violation (per turn: 1 clean, 0 violated)."""
    if not view.n_turns:
        return MetricValue(None)
    per_turn = {i: 0.0 if s.violations else 1.0 for i, s in enumerate(view.trajectory.steps)}
    return MetricValue(sum(per_turn.values()) / view.n_turns, per_turn)


# ---------------------------------------------------------------- action correctness
class ToolF1Params(_Params):
    matching: Literal["hungarian", "greedy", "sinkhorn"] = "hungarian"
    reg: float = Field(default=0.1, gt=0)
    output: Literal["f1", "precision", "recall"] = "f1"


def matching_of(view: TrajectoryView, method: str = "hungarian", reg: float = 0.1) -> Matching | None:
    gold = view.gold_calls
    if gold is None:
        return None

    def compute() -> Matching:
        pred = [(c.name, c.arguments) for c in view.scored_calls()]
        golds = [(str(g.get("name", "")), g.get("arguments") or {}) for g in gold]
        return match(similarity_matrix(pred, golds), method, reg)  # type: ignore[arg-type]
    return view.memo(f"match:{method}:{reg}", compute)


@metric("tool_f1", ToolF1Params)
def tool_f1(view: TrajectoryView, p: ToolF1Params) -> MetricValue:
    """Action correctness, exact: MatchTIR-matched precision / recall / F1 of the calls against
    ``task.gold["calls"]`` (harness-failed calls, i.e. noise, are left out). Per turn: the mean reward of the
    turn's calls; the answer turn earns token F1 against ``gold["answer"]`` when there is one."""
    m = matching_of(view, p.matching, p.reg)
    if m is None:
        return MetricValue(None)
    sums: dict[int, list[float]] = {}
    for call, r in zip(view.scored_calls(), m.rewards, strict=True):
        sums.setdefault(call.turn, []).append(r)
    per_turn = {t: sum(rs) / len(rs) for t, rs in sums.items()}
    if view.answer_turn is not None and "answer" in view.gold:
        per_turn[view.answer_turn] = answer_match(view.final_answer or "", view.gold["answer"])
    value = {"f1": m.f1, "precision": m.precision, "recall": m.recall}[p.output]
    details = {"precision": m.precision, "recall": m.recall, "f1": m.f1, "matched": m.matched,
               "n_pred": m.n_pred, "n_gold": m.n_gold, "pairs": [[i, j] for i, j in m.pairs]}
    return MetricValue(value, per_turn, details)


@metric("task_relevance", judgeable=True)
def task_relevance(view: TrajectoryView, p: NoParams) -> MetricValue:
    """Approximation: share of calls that are relevant, i.e. accepted by the env (not rejected as
    malformed, unknown, invalid or against a constraint) and, when the task has gold calls, to a tool
    the gold solution uses. A task whose gold solution needs no tools scores 1 for no calls."""
    calls = view.scored_calls()
    gold = view.gold_calls
    if not calls:
        return MetricValue(None if gold is None else float(not gold))
    names = {str(g.get("name")) for g in gold} if gold is not None else None
    per: dict[int, list[float]] = {}
    for c in calls:
        ok = c.error not in REJECTED_ERRORS and c.parse_error is None and (names is None or c.name in names)
        per.setdefault(c.turn, []).append(float(ok))
    flat = [v for vs in per.values() for v in vs]
    return MetricValue(sum(flat) / len(flat), {t: sum(v) / len(v) for t, v in per.items()})


# ---------------------------------------------------------------- execution efficiency
@metric("step_efficiency")
def step_efficiency(view: TrajectoryView, p: NoParams) -> MetricValue:
    """Exact: ``min(1, gold steps / turns taken)``; gold steps are ``gold["steps"]`` (a positive number),
    else the number of gold calls + 1 (one call per turn, then the answer)."""
    steps = view.gold.get("steps")
    if not isinstance(steps, int | float) or isinstance(steps, bool) or steps <= 0:
        steps = len(view.gold_calls) + 1 if view.gold_calls is not None else None
    if steps is None:
        return MetricValue(None)
    if not view.n_turns:
        return MetricValue(0.0)
    return MetricValue(min(1.0, float(steps) / view.n_turns))


@metric("redundancy")
def redundancy(view: TrajectoryView, p: NoParams) -> MetricValue:
    """Exact, higher is better: ``1 - redundant calls / calls``. A call is redundant when it repeats an
    earlier *successful* call exactly (same name and arguments) with no state change in between (a
    successful call to a tool whose spec says ``mutates``), or is a no-op the env rejected without running
    (malformed, unknown tool, invalid arguments, constraint). Retrying after a failure is not redundant."""
    calls = view.scored_calls()
    if not calls:
        return MetricValue(1.0, {})
    mutating = {t.get("name") for t in view.trajectory.tools if t.get("mutates")}
    done: set[str] = set()
    per: dict[int, list[float]] = {}
    redundant = 0
    for c in calls:
        is_redundant = c.key in done or c.error in REJECTED_ERRORS or c.parse_error is not None
        redundant += is_redundant
        per.setdefault(c.turn, []).append(0.0 if is_redundant else 1.0)
        if c.ok:
            if c.name in mutating and not is_redundant:
                done.clear()  # the state changed: repeating an earlier call may now be needed
            done.add(c.key)
    return MetricValue(1.0 - redundant / len(calls), {t: sum(v) / len(v) for t, v in per.items()},
                       {"redundant_calls": redundant, "calls": len(calls)})


# ---------------------------------------------------------------- process quality
@metric("logical_progression", judgeable=True)
def logical_progression(view: TrajectoryView, p: NoParams) -> MetricValue:
    """Approximation. With gold calls: how well the order of tool names follows the gold plan,
    ``2·LCS(pred, gold) / (|pred| + |gold|)``. Without: the share of turns that do not loop, i.e. do not
    repeat the previous turn's action verbatim."""
    gold = view.gold_calls
    if gold is not None:
        pred = [c.name for c in view.scored_calls() if c.error not in REJECTED_ERRORS]
        names = [str(g.get("name")) for g in gold]
        if not pred and not names:
            return MetricValue(1.0)
        return MetricValue(2.0 * _lcs(pred, names) / (len(pred) + len(names)))
    steps = view.trajectory.steps
    if not steps:
        return MetricValue(None)
    per = {0: 1.0}
    for i in range(1, len(steps)):
        a, b = steps[i - 1].action, steps[i].action
        same = a.content == b.content and [(c.name, c.arguments) for c in a.tool_calls] == \
            [(c.name, c.arguments) for c in b.tool_calls]
        per[i] = 0.0 if same else 1.0
    return MetricValue(sum(per.values()) / len(per), per)


def _lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


@metric("information_utilization", judgeable=True)
def information_utilization(view: TrajectoryView, p: NoParams) -> MetricValue:
    """Approximation: share of successful tool results whose values (JSON leaves or numbers; short text
    results as a whole) reappear in a later turn's call arguments or in the final answer. Results of tools
    whose spec says ``mutates`` are acknowledgements, not information, and are left out. Per turn: the
    share for the results that turn received."""
    mutating = {t.get("name") for t in view.trajectory.tools if t.get("mutates")}
    later_args: list[tuple[int, set[Value]]] = []
    for c in view.scored_calls():
        later_args.append((c.turn, _values(c.arguments)))
    answer_vals = _text_values(view.final_answer or "") if view.answer_turn is not None else set()
    answer_text = (view.final_answer or "").lower()
    per: dict[int, list[float]] = {}
    for c in view.scored_calls():
        if not c.ok or c.name in mutating:
            continue
        vals = _result_values(c.result or "")
        if not vals:
            continue
        used = any(t > c.turn and vals & a for t, a in later_args)
        if not used and view.answer_turn is not None and view.answer_turn > c.turn:
            used = bool(vals & answer_vals) or any(isinstance(v, str) and len(v) > 3 and v in answer_text
                                                    for v in vals)
        per.setdefault(c.turn, []).append(float(used))
    flat = [v for vs in per.values() for v in vs]
    if not flat:
        return MetricValue(None)
    return MetricValue(sum(flat) / len(flat), {t: sum(v) / len(v) for t, v in per.items()})


Value = float | str  # numbers rounded to 6 places, text lower-cased


def _norm(x: Any) -> Value | None:
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, int | float):
        return round(float(x), 6)
    s = str(x).strip().lower()
    if _NUMBER.fullmatch(s):
        return round(float(s), 6)
    return s or None


def _values(data: Any) -> set[Value]:
    out: set[Value] = set()
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list | tuple):
            stack.extend(x)
        else:
            v = _norm(x)
            if v is not None:
                out.add(v)
    return out


def _text_values(text: str) -> set[Value]:
    return {round(float(n), 6) for n in _NUMBER.findall(text)}


def _result_values(content: str) -> set[Value]:
    content = content.strip()
    if _NUMBER.fullmatch(content):
        return {round(float(content), 6)}
    if content[:1] in "[{\"":
        try:
            return _values(json.loads(content))
        except json.JSONDecodeError:
            pass
    vals = _text_values(content)
    if len(content) <= 64 and content:
        vals.add(content.lower())
    return vals


@metric("progress_score", judgeable=True)
def progress_score(view: TrajectoryView, p: NoParams) -> MetricValue:
    """Approximation: 1 when the env says the task succeeded; otherwise the share of gold calls the agent
    reproduced exactly with a successful call (or the env's own ``progress`` metric when it reports one)."""
    if view.metrics.get("success"):
        return MetricValue(1.0)
    progress = view.metrics.get("progress")
    if isinstance(progress, int | float) and not isinstance(progress, bool):
        return MetricValue(min(1.0, max(0.0, float(progress))))
    gold = view.gold_calls
    if gold is None:
        return MetricValue(None if view.metrics.get("success") is None else 0.0)
    if not gold:
        return MetricValue(0.0)
    have = Counter(c.key for c in view.scored_calls() if c.ok)
    reproduced = 0
    for g in gold:
        k = call_key(str(g.get("name", "")), g.get("arguments") or {})
        if have[k] > 0:
            have[k] -= 1
            reproduced += 1
    return MetricValue(reproduced / len(gold))


# ---------------------------------------------------------------- output quality
def answer_match(answer: str, gold: Any, tol: float = 1e-6) -> float:
    """1 if a number in ``answer`` equals a numeric gold answer (relative tolerance) or the normalised
    gold text occurs in it; otherwise token F1 against the gold text."""
    if isinstance(gold, int | float) and not isinstance(gold, bool):
        for n in _NUMBER.findall(answer):
            if math.isclose(float(n), float(gold), rel_tol=tol, abs_tol=tol):
                return 1.0
        return 0.0
    ref = gold if isinstance(gold, str) else json.dumps(gold, sort_keys=True)
    if ref.strip() and ref.strip().lower() in answer.lower():
        return 1.0
    return token_f1(answer, ref)


@metric("final_answer_quality", judgeable=True)
def final_answer_quality(view: TrajectoryView, p: NoParams) -> MetricValue:
    """Approximation: ``answer_match`` of the final answer against ``gold["answer"]`` (no final answer: 0;
    no gold answer: not applicable)."""
    if "answer" not in view.gold:
        return MetricValue(None)
    if view.answer_turn is None:
        return MetricValue(0.0)
    value = answer_match(view.final_answer or "", view.gold["answer"])
    return MetricValue(value, {view.answer_turn: value})
