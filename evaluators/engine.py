"""Scoring: run a rubric's criteria on a trajectory and combine them into a ``RubricResult``.

``score_trajectory`` is the entry point the runner, ``agentgym rescore`` and the leaderboard use: it
recomputes the env's own metrics (never trusting stored ones) and attaches the rubric's scores. It is pure
and makes no model calls unless the rubric has judge criteria and a judge model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from agentgym.evaluators.checklist import run_checklist
from agentgym.evaluators.loading import load_rubric, rubric_for
from agentgym.evaluators.registry import MetricFn, get_metric, parse_params
from agentgym.evaluators.schema import Criterion, Rubric, RubricResult, finite01
from agentgym.evaluators.view import build_view
from agentgym.types import Trajectory

__all__ = ["score_trajectory", "score_with"]


@dataclass(frozen=True)
class _Compiled:
    criterion: Criterion
    fn: MetricFn | None  # None for checklists
    params: Any
    use_judge: bool


_PLANS: dict[int, tuple[Rubric, list[_Compiled]]] = {}


def _plan(rubric: Rubric) -> list[_Compiled]:
    """Parse every criterion's params once per rubric object (not once per trajectory)."""
    cached = _PLANS.get(id(rubric))
    if cached is not None and cached[0] is rubric:
        return cached[1]
    judged = rubric.judge.model is not None
    plan = []
    for c in rubric.criteria:
        fn = None if c.kind == "checklist" or c.metric_name == "custom" else get_metric(c.metric_name).fn
        plan.append(_Compiled(c, fn, parse_params(c), judged and c.kind == "judge"))
    if len(_PLANS) > 64:
        _PLANS.clear()
    _PLANS[id(rubric)] = (rubric, plan)
    return plan


def score_with(rubric: Rubric, traj: Trajectory, metrics: dict[str, Any] | None = None) -> RubricResult:
    """Score ``traj`` with ``rubric``; ``metrics`` default to the trajectory's own, else the env's ``score``."""
    if metrics is None:
        metrics = traj.metrics
        if not metrics:
            from agentgym.registry import env_class

            metrics = env_class(traj.env).score(traj)
    view = build_view(traj, metrics)
    values: dict[str, float] = {}
    per_turn: list[dict[str, float]] = [{} for _ in range(view.n_turns)]
    skipped: list[str] = []
    details: dict[str, Any] = {}
    judges: dict[str, dict[str, Any]] = {}
    cost = 0.0
    digest: str | None = None
    for item in _plan(rubric):
        c = item.criterion
        if item.use_judge:
            from agentgym.evaluators.judge import judge, trajectory_digest

            digest = digest or trajectory_digest(traj)
            record = judge(c, item.params, traj, rubric.judge, digest)
            judges[c.name] = record
            cost += record.get("cost", 0.0)
            values[c.name] = finite01(record["score"])
            continue
        result = run_checklist(view, item.params) if item.fn is None else item.fn(view, item.params)
        if c.kind == "judge":
            judges[c.name] = {"mode": "approximation", "model": None, "metric": c.metric_name}
        if result.details is not None:
            details[c.name] = result.details
        if result.value is None:
            skipped.append(c.name)
            continue
        values[c.name] = finite01(result.value)
        if result.per_turn:
            for t, v in result.per_turn.items():
                if 0 <= t < view.n_turns:
                    per_turn[t][c.name] = v
    for t, step in enumerate(traj.steps):
        for k, v in step.reward_components.items():
            per_turn[t][f"env.{k}"] = float(v)
    gates = {c.name: values[c.name] >= c.threshold - 1e-12 for c in rubric.criteria
             if c.gate and c.name in values}
    total = _combine(rubric, values)
    if not all(gates.values()):
        total = 0.0
    return RubricResult.model_construct(
        rubric=rubric.name, rubric_hash=rubric.rubric_hash, total=total, axes=_axes(rubric, values),
        criteria=values, per_turn=per_turn, gates=gates, skipped=skipped, details=details, judges=judges,
        cost=cost)


def _combine(rubric: Rubric, values: dict[str, float]) -> float:
    weighted = [(c.weight, values[c.name]) for c in rubric.criteria if c.weight > 0 and c.name in values]
    if not weighted:
        return 0.0
    if rubric.combine == "product":
        return finite01(math.prod(v ** w for w, v in weighted))
    return finite01(sum(w * v for w, v in weighted) / sum(w for w, _ in weighted))


def _axes(rubric: Rubric, values: dict[str, float]) -> dict[str, float]:
    """Per axis: the weighted mean of its applicable criteria (plain mean when all weights are 0)."""
    groups: dict[str, list[tuple[float, float]]] = {}
    for c in rubric.criteria:
        if c.name in values:
            groups.setdefault(c.axis, []).append((c.weight, values[c.name]))
    out = {}
    for axis, items in groups.items():
        wsum = sum(w for w, _ in items)
        out[axis] = sum(w * v for w, v in items) / wsum if wsum > 0 else sum(v for _, v in items) / len(items)
    return out


def score_trajectory(traj: Trajectory, rubric: Rubric | str | None = None) -> Trajectory:
    """A copy of ``traj`` with ``metrics = EnvClass.score(traj)`` and ``scores`` = the rubric's result.

    ``rubric`` may be a ``Rubric``, a name or a path; by default the task's own ``rubric`` field, else the
    env's default rubric.
    """
    from agentgym.registry import env_class

    cls = env_class(traj.env)
    metrics = cls.score(traj)
    if rubric is not None:
        chosen = load_rubric(rubric)
    elif traj.task.rubric:
        chosen = load_rubric(traj.task.rubric)
    else:
        chosen = rubric_for(cls)
    result = score_with(chosen, traj, metrics)
    return traj.model_copy(update={"metrics": metrics, "scores": result.to_scores()})
