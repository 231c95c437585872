"""The faulttree (JFTA-Bench) oracle on a split, through the real run engine: dialogue length and accuracy.

Runs two oracles over every task of the split: one that follows the tree and handles the technician's
rollbacks, and one that ignores them (``handle_rollbacks=False``). Prints the average dialogue length (agent
turns; the paper reports 40.75 turns over its 3,130 entries), the root-cause accuracy of both (from each run's
scores.json), and whether the ignoring oracle fails on exactly the tasks that contain a rollback.

    python benchmarks/faulttree_oracle.py [--split test] [--out runs/faulttree-bench]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from agentgym.runner.engine import run


def play(split: str, out: Path, handle_rollbacks: bool) -> tuple[dict, list[dict], float]:
    start = time.perf_counter()
    run("faulttree", split=split, policy="oracle", policy_kwargs={"handle_rollbacks": handle_rollbacks},
        out=str(out), progress=False, concurrency=8)
    elapsed = time.perf_counter() - start
    scores = json.loads((out / "scores.json").read_text())
    trajectories = [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines() if line]
    return scores, trajectories, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="test")
    parser.add_argument("--out", type=Path, default=None, help="keep the run directories here")
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="faulttree-bench-"))
    scores, trajs, elapsed = play(args.split, root / "oracle", True)
    ignoring, ignoring_trajs, _ = play(args.split, root / "oracle-ignoring-rollbacks", False)

    turns = [t["metrics"]["turns"] for t in trajs]
    user_turns = [t["metrics"]["checks_asked"] for t in trajs]
    rollback_tasks = {t["task"]["id"] for t in trajs if t["task"]["metadata"]["rollback"]}
    failed = {t["task"]["id"] for t in ignoring_trajs if not t["metrics"]["root_cause_accuracy"]}
    print(f"split {args.split}: {len(trajs)} tasks, {len(rollback_tasks)} with a rollback; "
          f"{len(turns) / elapsed:.1f} episodes/s")
    print(f"oracle: root_cause_accuracy={scores['root_cause_accuracy']:.3f} "
          f"fix_accuracy={scores['fix_accuracy']:.3f} path_efficiency={scores['path_efficiency']:.3f} "
          f"recovery_rate={scores['recovery_rate']:.3f}")
    print(f"oracle dialogue: {statistics.mean(turns):.2f} agent turns on average (median "
          f"{statistics.median(turns)}, max {max(turns)}), {statistics.mean(user_turns):.2f} checks answered")
    print(f"oracle ignoring rollbacks: root_cause_accuracy={ignoring['root_cause_accuracy']:.3f}, "
          f"fails {len(failed)} tasks, exactly the rollback tasks: {failed == rollback_tasks}")
    print(f"root_cause_accuracy={scores['root_cause_accuracy']:.4f} "
          f"ignoring_rollbacks_root_cause_accuracy={ignoring['root_cause_accuracy']:.4f} "
          f"mean_turns={statistics.mean(turns):.2f} rollback_tasks={len(rollback_tasks)} "
          f"failures_are_rollback_tasks={int(failed == rollback_tasks)}")


if __name__ == "__main__":
    main()
