"""Rule-only rescoring throughput: load stored trajectories from JSONL and score them with a rubric.

The target is 10,000 trajectories in under 10 s on one core, JSONL loading included (the leaderboard and
``agentgym rescore`` both start from files): each line is validated into a ``Trajectory``, the env's own
metrics are recomputed and the rubric's scores attached (``score_trajectory``). Trajectories come from the
calculator env played by its oracle, every fourth one with a wrong final answer so gates and partial
credit do real work. The process is pinned to one core; the headline rate is per CPU-second of that core
(process time), so a busy shared machine does not distort it; wall-clock figures are printed above it.

    python benchmarks/rescore.py [--n 10000] [--rubric calculator|default]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import agentgym  # noqa: E402
from agentgym.evaluators import load_rubric, score_trajectory  # noqa: E402
from agentgym.types import Message, Trajectory  # noqa: E402


def generate(path: Path, n: int) -> None:
    """Play ``n`` calculator episodes with the oracle and write them as JSONL (unscored)."""
    env = agentgym.make("calculator", split="train")
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            env.reset(seed=i)
            oracle = env.make_oracle(env.task)
            done = False
            while not done:
                action = oracle.act(env.messages)
                if i % 4 == 3 and not action.tool_calls:  # a wrong final answer
                    action = Message.assistant("ANSWER: 0.5")
                _, _, terminated, truncated, _ = env.step(action)
                done = terminated or truncated
            f.write(env.trajectory().model_dump_json() + "\n")


def rescore(path: Path, rubric_name: str) -> tuple[int, float, float, float]:
    """``(trajectories, wall s, cpu s, mean total)`` for loading and rescoring the whole file."""
    rubric = load_rubric(rubric_name)
    wall, cpu = time.perf_counter(), time.process_time()
    total = 0.0
    n = 0
    with path.open("rb") as f:
        for line in f:
            traj = score_trajectory(Trajectory.model_validate_json(line), rubric)
            total += traj.scores["total"]
            n += 1
    return n, time.perf_counter() - wall, time.process_time() - cpu, total / max(n, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--rubric", default="calculator")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trajectories.jsonl"
        t0 = time.perf_counter()
        generate(path, args.n)
        print(f"generated {args.n} trajectories ({path.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - t0:.1f} s")
        rescore(path, args.rubric)  # warm-up: imports, caches
        n, wall, cpu, mean_total = rescore(path, args.rubric)
    print(f"rescored {n} trajectories with rubric {args.rubric!r}: {cpu:.2f} CPU s on one core, {wall:.2f} s wall "
          f"({n / wall:.0f} per wall second; load average {os.getloadavg()[0]:.1f}); mean total {mean_total:.3f}")
    print(f"trajectories_per_s={n / cpu:.0f}")


if __name__ == "__main__":
    main()
