"""CCTU's metrics, computed from a trajectory alone (so a stored or submitted run can be re-scored).

* solved: every gold string of ``unsolved_set`` (tool name -> gold strings) appears in some successful
  result of that tool (case-insensitive substring, commas stripped).
* SR: solved, and nothing went wrong after the last assistant turn: that turn is a final answer (a
  trajectory ending on tool messages counts as an error) with no violation. Earlier violations are allowed:
  the model recovered.
* PSR: SR and no violation anywhere in the episode.
* per-dimension / per-category violation rates: the share of episodes with at least one violation there.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from agentgym.types import Trajectory
from agentgym.envs.cctu.validators import CATEGORIES, DIMENSIONS


def _norm(text: str) -> str:
    return text.lower().replace(",", "")


def score(trajectory: Trajectory) -> dict[str, Any]:
    results: dict[str, list[str]] = defaultdict(list)
    for step in trajectory.steps:
        for m in step.observation:
            if m.role == "tool" and m.error is None and m.name:
                results[m.name].append(_norm(m.content))
    gold = trajectory.task.gold.get("unsolved_set") or {}
    solved = all(any(_norm(str(g)) in r for r in results.get(tool, []))
                 for tool, golds in gold.items() for g in ([golds] if isinstance(golds, str) else golds))
    violations = [v for s in trajectory.steps for v in s.violations]
    last = trajectory.steps[-1] if trajectory.steps else None
    clean_end = last is not None and not last.action.tool_calls and not last.violations
    sr = bool(solved and clean_end and trajectory.status == "completed")
    by_dimension = Counter(v.dimension for v in violations)
    by_category = Counter(v.category for v in violations)
    return {
        "success": sr, "sr": sr, "psr": bool(sr and not violations), "solved": bool(solved),
        "n_violations": len(violations), "rounds": len(trajectory.steps),
        "tool_calls": sum(len(s.action.tool_calls) for s in trajectory.steps),
        "violations_by_dimension": {d: by_dimension.get(d, 0) for d in DIMENSIONS},
        "violations_by_category": {c: by_category.get(c, 0) for c in CATEGORIES},
    }


def aggregate(trajectories: Sequence[Trajectory]) -> dict[str, Any]:
    """SR / PSR as mean (and std over repeats when a run has several samples per task), plus the share of
    episodes that violated each dimension and category."""
    done = [t for t in trajectories if t.status == "completed" and t.metrics]
    if not done:
        return {}
    by_sample: dict[int, list[Trajectory]] = defaultdict(list)
    for t in done:
        by_sample[t.sample].append(t)
    out: dict[str, Any] = {"n_samples": len(by_sample)}
    for key in ("sr", "psr", "solved"):
        per_sample = [statistics.fmean(float(t.metrics[key]) for t in ts) for ts in by_sample.values()]
        out[key] = statistics.fmean(per_sample)
        if len(per_sample) > 1:
            out[f"{key}_std"] = statistics.stdev(per_sample)
    n = len(done)
    out["violation_rate"] = sum(t.metrics["n_violations"] > 0 for t in done) / n
    out["violation_rate_by_dimension"] = {
        d: sum(t.metrics["violations_by_dimension"].get(d, 0) > 0 for t in done) / n for d in DIMENSIONS}
    out["violation_rate_by_category"] = {
        c: sum(t.metrics["violations_by_category"].get(c, 0) > 0 for t in done) / n for c in CATEGORIES}
    return out
