"""Run-level scores from scored trajectories: the content of ``scores.json``.

``compute_scores`` is the one place run metrics are computed, so a live run, ``agentgym rescore`` and the
leaderboard's re-scoring all agree bit for bit. It is order-independent (episodes are put in canonical
``(task id, sample)`` order first) and deterministic (the bootstrap uses its own seeded generator), so an
interrupted-and-resumed run scores exactly like an uninterrupted one.

- pass@k is the unbiased estimator of Chen et al. (2021): ``1 - C(n-c, k) / C(n, k)`` per task;
- pass^k is tau-bench's: ``C(c, k) / C(n, k)`` per task, the chance that k fresh samples *all* succeed;
- confidence intervals are 95% percentile bootstraps that resample whole tasks (samples of one task are
  correlated, so resampling episodes would understate the uncertainty).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from math import comb
from typing import Any

import numpy as np

from agentgym.env import headline_means
from agentgym.types import Trajectory

__all__ = ["EpisodeSummary", "compute_scores", "pass_at_k", "pass_hat_k", "summarize"]

#: bootstrap resamples; fixed with the seed so that scores are reproducible
N_BOOTSTRAP = 1000
BOOTSTRAP_SEED = 0
_BOOTSTRAP_CELLS = 250_000  # resampled task indices held at once


@dataclass(slots=True)
class EpisodeSummary:
    """The few numbers of one episode the run metrics need (kept instead of whole trajectories)."""

    id: str
    task_id: str
    sample: int
    split: str
    category: str | None
    status: str
    success: bool
    reward: float
    rubric_total: float | None = None
    rubric_axes: dict[str, float] = field(default_factory=dict)


def summarize(traj: Trajectory | dict[str, Any]) -> EpisodeSummary:
    """``traj`` may also be a trajectory's JSON object as stored: scoring a finished run needs only these
    few fields, and reading them is much cheaper than validating every step again."""
    if isinstance(traj, dict):
        task = traj["task"]
        return _summary(traj["id"], task["id"], traj.get("sample", 0), task.get("split", "test"),
                        task.get("category"), traj.get("status", "completed"), traj.get("metrics") or {},
                        traj.get("scores") or {})
    return _summary(traj.id, traj.task.id, traj.sample, traj.task.split, traj.task.category, traj.status,
                    traj.metrics or {}, traj.scores or {})


def _summary(episode_id: str, task_id: str, sample: int, split: str, category: str | None, status: str,
             metrics: dict[str, Any], scores: dict[str, Any]) -> EpisodeSummary:
    success = bool(metrics.get("success", False))
    reward = metrics.get("reward", float(success))
    total = scores.get("total")
    axes = scores.get("axes") or {}
    return EpisodeSummary(
        id=episode_id, task_id=task_id, sample=sample, split=split, category=category, status=status,
        success=success, reward=float(reward) if isinstance(reward, int | float) else float(success),
        rubric_total=float(total) if isinstance(total, int | float) else None,
        rubric_axes={k: float(v) for k, v in axes.items() if isinstance(v, int | float)},
    )


def _default_aggregate(env_cls: type) -> bool:
    from agentgym.env import AgentEnv

    return getattr(env_cls.aggregate, "__func__", None) is AgentEnv.aggregate.__func__


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one task with ``n`` samples of which ``c`` succeeded."""
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """tau-bench's pass^k for one task: probability that k samples drawn without replacement all succeed."""
    return comb(c, k) / comb(n, k)


class _View(Sequence[Trajectory]):
    """The chosen trajectories in canonical order, without copying (the source may be a lazy file view)."""

    def __init__(self, source: Sequence[Trajectory], order: list[int]):
        self._source, self._order = source, order

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._source[j] for j in self._order[i]]
        return self._source[self._order[i]]

    def __iter__(self) -> Iterator[Trajectory]:
        for j in self._order:
            yield self._source[j]


def compute_scores(trajectories: Sequence[Trajectory], env_cls: type | None = None,
                   samples: int | None = None, *, n_bootstrap: int = N_BOOTSTRAP,
                   seed: int = BOOTSTRAP_SEED) -> dict[str, Any]:
    """Scores of a run from its trajectories (in any order, possibly with retried infra errors).

    ``samples`` is the run's k (pass@1..k and pass^1..k are reported); by default the largest number of
    scored samples of any task. When an episode id appears several times (an infra error retried on
    resume) its scored record wins. Infra errors are counted apart and never scored.
    """
    # A lazy file hands out what scoring reads of each stored JSON object (``score_head``); then an env that
    # keeps the default aggregate (the means of its headline metrics) is scored without validating a
    # single trajectory again.
    heads = getattr(trajectories, "heads", None)
    headline_only = env_cls is not None and heads is not None and _default_aggregate(env_cls)
    summaries: list[EpisodeSummary] = []
    headlines: list[dict[str, Any]] = []
    usage: dict[str, float] = defaultdict(float)
    for t in heads() if heads is not None else trajectories:
        summaries.append(summarize(t))
        spent = (t.get("usage") or {}) if isinstance(t, dict) else t.usage.model_dump()
        for key, value in spent.items():  # every attempt cost something, retried ones too
            usage[key] += value
        if headline_only:
            metrics = t.get("metrics") or {}
            headlines.append({k: metrics[k] for k in env_cls.headline_metrics if k in metrics})
    chosen: dict[str, int] = {}
    for i, s in enumerate(summaries):
        prev = chosen.get(s.id)
        if prev is None or summaries[prev].status == "infra_error" or s.status != "infra_error":
            chosen[s.id] = i
    order = sorted(chosen.values(), key=lambda i: (summaries[i].task_id, summaries[i].sample))
    scored_idx = [i for i in order if summaries[i].status != "infra_error"]
    scored = [summaries[i] for i in scored_idx]

    by_task: dict[str, list[EpisodeSummary]] = defaultdict(list)
    for s in scored:
        by_task[s.task_id].append(s)
    k_max = samples or max((len(v) for v in by_task.values()), default=1)

    out: dict[str, Any] = {}
    if env_cls is not None and scored and headline_only:
        out.update(headline_means((headlines[i] for i in scored_idx), env_cls.headline_metrics))
    elif env_cls is not None and scored:
        select = getattr(trajectories, "select", None)  # a lazy file reads its chosen lines in one pass
        out.update(env_cls.aggregate(select(scored_idx) if select else _View(trajectories, scored_idx)))
    out.update(_group_scores(scored, k_max))
    out["ci95"] = _bootstrap(by_task, k_max, n_bootstrap, seed)
    out["per_category"] = {cat: _group_scores(group, k_max, brief=True)
                           for cat, group in _group_by(scored, lambda s: s.category or "(none)").items()}
    out["per_split"] = {sp: _group_scores(group, k_max, brief=True)
                        for sp, group in _group_by(scored, lambda s: s.split).items()}
    out["rubric"] = _rubric(scored)
    out["n_episodes"] = len(scored)
    out["n_tasks"] = len(by_task)
    out["n_infra_errors"] = sum(1 for i in order if summaries[i].status == "infra_error")
    out["n_timeouts"] = sum(1 for s in scored if s.status == "timeout")
    out["samples"] = k_max
    out["usage"] = dict(usage)
    return out


def _group_by(items: list[EpisodeSummary], key: Any) -> dict[str, list[EpisodeSummary]]:
    groups: dict[str, list[EpisodeSummary]] = defaultdict(list)
    for s in items:
        groups[key(s)].append(s)
    return dict(sorted(groups.items()))


def _task_counts(group: list[EpisodeSummary]) -> list[tuple[int, int]]:
    per_task: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for s in group:
        per_task[s.task_id][0] += 1
        per_task[s.task_id][1] += int(s.success)
    return [(n, c) for n, c in per_task.values()]


def _pass_curves(counts: list[tuple[int, int]], k_max: int) -> tuple[dict[str, float], dict[str, float]]:
    at: dict[str, float] = {}
    hat: dict[str, float] = {}
    for k in range(1, k_max + 1):
        eligible = [(n, c) for n, c in counts if n >= k]
        if not eligible:
            continue
        at[str(k)] = float(np.mean([pass_at_k(n, c, k) for n, c in eligible]))
        hat[str(k)] = float(np.mean([pass_hat_k(n, c, k) for n, c in eligible]))
    return at, hat


def _group_scores(group: list[EpisodeSummary], k_max: int, brief: bool = False) -> dict[str, Any]:
    counts = _task_counts(group)
    at, hat = _pass_curves(counts, k_max)
    out: dict[str, Any] = {
        "success_rate": float(np.mean([s.success for s in group])) if group else 0.0,
        "mean_reward": float(np.mean([s.reward for s in group])) if group else 0.0,
    }
    if brief:
        out.update(n_episodes=len(group), n_tasks=len(counts), pass_hat_k=hat)
    else:
        out.update(pass_at_k=at, pass_hat_k=hat)
    return out


def _bootstrap(by_task: dict[str, list[EpisodeSummary]], k_max: int, n_boot: int,
               seed: int) -> dict[str, list[float]]:
    """95% percentile intervals over resampled *tasks* for the headline numbers."""
    if not by_task:
        return {}
    groups = list(by_task.values())
    n = np.array([len(g) for g in groups], dtype=float)
    c = np.array([sum(s.success for s in g) for g in groups], dtype=float)
    r = np.array([sum(s.reward for s in g) for g in groups], dtype=float)
    stats: dict[str, tuple[np.ndarray, np.ndarray]] = {"success_rate": (c, n), "mean_reward": (r, n)}
    for k in sorted({1, k_max}):
        ok = [len(g) >= k for g in groups]
        if not all(ok):
            continue
        ones = np.ones(len(groups))
        stats[f"pass_at_{k}"] = (np.array([pass_at_k(int(a), int(b), k) for a, b in zip(n, c)]), ones)
        stats[f"pass_hat_{k}"] = (np.array([pass_hat_k(int(a), int(b), k) for a, b in zip(n, c)]), ones)
    totals = [[s.rubric_total for s in g if s.rubric_total is not None] for g in groups]
    if all(totals):
        stats["rubric_total"] = (np.array([sum(t) for t in totals]), np.array([len(t) for t in totals], float))
    rng = np.random.default_rng(seed)
    # every statistic is a ratio of sums over the drawn tasks: weigh each task by how often a resample drew
    # it, and one matrix product gives all the sums (rather than gathering each statistic's draws apart)
    columns = np.stack([col for num, den in stats.values() for col in (num, den)], axis=1)
    n_tasks = len(groups)
    chunk = max(1, _BOOTSTRAP_CELLS // n_tasks)  # rows at a time, so memory stays flat however many tasks
    parts: list[np.ndarray] = []
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        idx = rng.integers(0, n_tasks, size=(rows, n_tasks))
        drawn = np.bincount((idx + np.arange(rows)[:, None] * n_tasks).ravel(), minlength=rows * n_tasks)
        parts.append(drawn.reshape(rows, n_tasks).astype(float) @ columns)
    sums = np.concatenate(parts)
    out = {}
    for i, name in enumerate(stats):
        lo, hi = np.percentile(sums[:, 2 * i] / sums[:, 2 * i + 1], [2.5, 97.5])
        out[name] = [float(lo), float(hi)]
    return out


def _rubric(scored: list[EpisodeSummary]) -> dict[str, Any]:
    totals = [s.rubric_total for s in scored if s.rubric_total is not None]
    if not totals:
        return {}
    axes: dict[str, list[float]] = defaultdict(list)
    for s in scored:
        for axis, value in s.rubric_axes.items():
            axes[axis].append(value)
    return {"total": float(np.mean(totals)),
            "axes": {axis: float(np.mean(v)) for axis, v in sorted(axes.items())}}
