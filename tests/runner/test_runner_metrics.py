"""compute_scores: the estimators, task-level bootstrap, infra-error handling and order independence."""

from __future__ import annotations

import json
import random
from math import comb

import pytest

from agentgym.runner.metrics import compute_scores, pass_at_k, pass_hat_k
from agentgym.types import Task, Trajectory, Usage


def _traj(task: str, sample: int, success: bool, *, status: str = "completed", category: str = "a",
          total: float | None = None) -> Trajectory:
    scores = {} if total is None else {"total": total, "axes": {"correctness": total, "efficiency": 1.0}}
    return Trajectory(id=f"{task}#{sample}", env="calculator", env_version="0", sample=sample,
                      task=Task(id=task, env="calculator", split="test", category=category),
                      status=status, metrics={} if status == "infra_error" else {"success": success},
                      scores=scores, usage=Usage(prompt_tokens=10, calls=1))


def test_estimators_match_their_definitions() -> None:
    for n in range(1, 7):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k))
                assert pass_hat_k(n, c, k) == pytest.approx(comb(c, k) / comb(n, k))
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    assert pass_hat_k(5, 2, 2) == pytest.approx(0.1)


def test_scores_of_a_small_run() -> None:
    # task t0: 2/3 succeed, t1: 0/3, t2: 3/3 (category b)
    trajs = [_traj("t0", 0, True), _traj("t0", 1, True), _traj("t0", 2, False),
             _traj("t1", 0, False), _traj("t1", 1, False), _traj("t1", 2, False),
             _traj("t2", 0, True, category="b"), _traj("t2", 1, True, category="b"),
             _traj("t2", 2, True, category="b")]
    s = compute_scores(trajs, None, 3)
    assert s["success_rate"] == pytest.approx(5 / 9)
    assert s["pass_at_k"]["1"] == pytest.approx(5 / 9)
    assert s["pass_at_k"]["3"] == pytest.approx((1 + 0 + 1) / 3)
    assert s["pass_hat_k"]["2"] == pytest.approx((1 / 3 + 0 + 1) / 3)
    assert s["pass_hat_k"]["3"] == pytest.approx(1 / 3)
    assert s["per_category"]["b"]["success_rate"] == 1.0
    assert s["per_category"]["a"]["n_tasks"] == 2
    lo, hi = s["ci95"]["success_rate"]
    assert 0.0 <= lo < 5 / 9 < hi <= 1.0
    assert s["n_episodes"] == 9 and s["n_tasks"] == 3 and s["usage"]["calls"] == 9


def test_infra_errors_are_apart_and_a_retry_wins() -> None:
    trajs = [_traj("t0", 0, False, status="infra_error"), _traj("t1", 0, True),
             _traj("t0", 0, True), _traj("t2", 0, False, status="infra_error")]
    s = compute_scores(trajs, None, 1)
    assert s["n_episodes"] == 2 and s["success_rate"] == 1.0
    assert s["n_infra_errors"] == 1  # t2 never succeeded in being scored
    assert s["usage"]["calls"] == 4  # failed attempts still cost


def test_order_does_not_change_scores() -> None:
    rng = random.Random(1)
    trajs = [_traj(f"t{i}", j, rng.random() < 0.5, total=rng.random(), category=f"c{i % 3}")
             for i in range(30) for j in range(4)]
    a = compute_scores(trajs, None, 4)
    rng.shuffle(trajs)
    assert compute_scores(trajs, None, 4) == a
    assert set(a["rubric"]["axes"]) == {"correctness", "efficiency"}
    assert "rubric_total" in a["ci95"]


@pytest.mark.parametrize("env_name", ["calculator", "faulttree"])  # the default aggregate, and an override
def test_a_stored_run_scores_the_same_read_lazily_or_validated(tmp_path, env_name: str) -> None:
    """Scoring a run file reads only the stored JSON objects where it can; it must agree bit for bit with
    scoring the validated trajectories (what the leaderboard does)."""
    from agentgym.registry import env_class
    from agentgym.runner.engine import run
    from agentgym.runner.rundir import RunDir, TrajectoryFile

    run(env_name, split="test", policy="oracle", out=tmp_path / "r", limit=6, samples=2, progress=False)
    rd = RunDir(tmp_path / "r")
    cls = env_class(env_name)
    with rd.trajectories_path.open("a") as fh:  # a retried infra error: the scored record must win
        fh.write(_traj(next(iter(rd.scan())).split("#")[0], 0, False, status="infra_error").model_copy(
            update={"env": env_name, "metrics": dict.fromkeys(cls.headline_metrics, 999)}).model_dump_json() + "\n")
    data = rd.trajectories_path.read_bytes()
    every_line = TrajectoryFile(rd.trajectories_path, [0] + [i + 1 for i, b in enumerate(data[:-1]) if b == 10])
    lazy = compute_scores(every_line, cls, 2)
    assert lazy == compute_scores(list(every_line), cls, 2)
    assert lazy["n_episodes"] == 12 and lazy["success_rate"] == 1.0 and lazy["n_infra_errors"] == 0
    assert set(cls.headline_metrics) & set(lazy)


def test_a_run_scores_itself_from_the_heads_it_kept_as_from_the_validated_file(tmp_path) -> None:
    """A live run scores from the ``score_head`` of each line it appended, without parsing the file again;
    the result must equal scoring the validated stored trajectories, bit for bit, usage included."""
    from agentgym.registry import env_class
    from agentgym.runner.engine import run
    from agentgym.runner.rundir import RunDir

    out = tmp_path / "r"
    run("calculator", split="test", policy="oracle", out=out, limit=6, samples=2, progress=False)
    stored = json.loads((out / "scores.json").read_text())
    validated = compute_scores(list(RunDir(out).trajectories()), env_class("calculator"), 2)
    assert stored == json.loads(json.dumps(validated)) and stored["rubric"]["total"] > 0
