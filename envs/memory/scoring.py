"""AMemGym metrics from a trajectory alone: accuracy, random baseline, upper bound, normalised memory
score per (user, period) cell, and the write / read / utilisation diagnosis of every error.

The simulator records every parsed answer in the step's ``info["user"]["answered"]``; everything else
(gold states, choices, update history) comes from the task's record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentgym.types import Trajectory

from agentgym.envs.memory.record import UserRecord

DIAGNOSIS = ("success", "write", "read", "unattributed")


def _answers(traj: Trajectory) -> dict[tuple[str, int, int], dict[str, Any]]:
    out = {}
    for step in traj.steps:
        ans = (step.info.get("user") or {}).get("answered")
        if ans:
            out[(ans["kind"], ans["period"], ans["index"])] = ans
    return out


def last_update(record: UserRecord, variable: str, period: int) -> int:
    """The period in which ``variable`` last took its value at ``period`` (0 = the initial state)."""
    for p in range(period, 0, -1):
        if variable in record.periods[p].updates or \
                record.periods[p].state.get(variable) != record.periods[p - 1].state.get(variable):
            return p
    return 0


def score_memory(traj: Trajectory) -> dict[str, Any]:
    record = UserRecord.model_validate(traj.task.user)
    required = record.required_variables()
    answers = _answers(traj)
    periods = sorted({p for (kind, p, _) in answers if kind == "question"})
    cells: list[dict[str, Any]] = []
    var_counts = dict.fromkeys(DIAGNOSIS, 0)
    q_counts = {"correct": 0, "write": 0, "read": 0, "utilisation": 0, "unattributed": 0}
    parse_failures = n_answers = 0
    for ans in answers.values():
        n_answers += 1
        parse_failures += not ans["parsed"]

    def probe_right(p: int, var: str) -> bool | None:
        a = answers.get(("probe", p, required.index(var)))
        if a is None:
            return None
        return record.state_schema[var][a["choice"]] == record.periods[p].state[var]

    for p in periods:
        acc, rnd, upp = [], [], []
        has_upper = True
        for q, qa in enumerate(record.qas):
            a = answers.get(("question", p, q))
            if a is None:
                continue
            gold = [record.periods[p].state[k] for k in qa.required_info]
            right = qa.answer_choices[a["choice"]].state == gold
            acc.append(float(right))
            rnd.append(sum(c.state == gold for c in qa.answer_choices) / len(qa.answer_choices))
            u = answers.get(("upper", p, q))
            if u is None:
                has_upper = False
            else:
                upp.append(float(qa.answer_choices[u["choice"]].state == gold))
            # diagnosis: what the assistant believes about each required variable now and after its update
            verdicts = []
            for var in qa.required_info:
                now = probe_right(p, var)
                if now is None:
                    continue
                if now:
                    verdicts.append("success")
                    continue
                then = probe_right(last_update(record, var, p), var)
                verdicts.append("unattributed" if then is None else ("read" if then else "write"))
            for v in verdicts:
                var_counts[v] += 1
            if right:
                q_counts["correct"] += 1
            elif "write" in verdicts:
                q_counts["write"] += 1
            elif "read" in verdicts:
                q_counts["read"] += 1
            elif "unattributed" in verdicts:
                q_counts["unattributed"] += 1
            else:
                q_counts["utilisation"] += 1
        if not acc:
            continue
        cell = {"period": p, "accuracy": sum(acc) / len(acc), "random": sum(rnd) / len(rnd),
                "upper": sum(upp) / len(upp) if has_upper and upp else 1.0}
        denom = cell["upper"] - cell["random"]
        cell["normalized"] = (cell["accuracy"] - cell["random"]) / denom if denom > 1e-12 else None
        cells.append(cell)

    n_q = sum(q_counts.values())
    n_var = sum(var_counts.values())
    normalized = [c["normalized"] for c in cells if c["normalized"] is not None]
    metrics: dict[str, Any] = {
        "accuracy": _mean([c["accuracy"] for c in cells]),
        "random_baseline": _mean([c["random"] for c in cells]),
        "upper_bound": _mean([c["upper"] for c in cells]),
        "upper_bound_source": "probe" if any(k[0] == "upper" for k in answers) else "rule",
        "normalized_memory_score": _mean(normalized),
        "cells": cells,
        "questions_answered": n_q,
        "parse_failure_rate": parse_failures / n_answers if n_answers else 0.0,
        "diagnosis": {"questions": q_counts, "variables": var_counts},
        "memory_success_rate": var_counts["success"] / n_var if n_var else 0.0,
        "write_failure_rate": var_counts["write"] / n_var if n_var else 0.0,
        "read_failure_rate": var_counts["read"] / n_var if n_var else 0.0,
        "utilisation_failure_rate": q_counts["utilisation"] / n_q if n_q else 0.0,
    }
    metrics["success"] = bool(n_q) and q_counts["correct"] == n_q and len(periods) > 0
    metrics["reward"] = metrics["accuracy"]
    return metrics


def aggregate_memory(trajectories: Sequence[Trajectory]) -> dict[str, Any]:
    """Run-level figures, pooled as AMemGym does: each (user, period) cell first, then the mean of cells."""
    cells = [c for t in trajectories for c in t.metrics.get("cells", [])]
    out: dict[str, Any] = {}
    if cells:
        out["accuracy"] = _mean([c["accuracy"] for c in cells])
        out["random_baseline"] = _mean([c["random"] for c in cells])
        out["upper_bound"] = _mean([c["upper"] for c in cells])
        out["normalized_memory_score"] = _mean([c["normalized"] for c in cells if c["normalized"] is not None])
        out["n_cells"] = len(cells)
    var = dict.fromkeys(DIAGNOSIS, 0)
    qs = {"correct": 0, "write": 0, "read": 0, "utilisation": 0, "unattributed": 0}
    for t in trajectories:
        diag = t.metrics.get("diagnosis") or {}
        for k, v in (diag.get("variables") or {}).items():
            var[k] = var.get(k, 0) + v
        for k, v in (diag.get("questions") or {}).items():
            qs[k] = qs.get(k, 0) + v
    n_var, n_q = sum(var.values()), sum(qs.values())
    if n_var:
        out["memory_success_rate"] = var["success"] / n_var
        out["write_failure_rate"] = var["write"] / n_var
        out["read_failure_rate"] = var["read"] / n_var
    if n_q:
        out["utilisation_failure_rate"] = qs["utilisation"] / n_q
    return out


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0
