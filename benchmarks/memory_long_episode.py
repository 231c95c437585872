"""Memory (AMemGym) env: throughput and peak memory of long episodes played by the oracle memory.

Episodes grow with the number of update periods; peak traced memory per session should stay flat
(the trajectory itself is the only thing that grows), and steps/s should not fall with length.

    python benchmarks/memory_long_episode.py [--updates 25 100 200]
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

from agentgym.envs.memory.env import MemoryEnv, task_from_record
from agentgym.envs.memory.generator import generate_user


def run(n_updates: int) -> dict[str, float]:
    rec = generate_user("bench", f"bench/{n_updates}", n_updates=n_updates, vars_per_session=1,
                        max_changes_per_var=10**6)
    task = task_from_record(rec, "bench", 0)
    env = MemoryEnv(tasks=[task])
    sessions = sum(len(p["sessions"]) for p in rec["periods"])
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    env.reset(seed=0, options={"task_id": task.id})
    oracle = env.make_oracle(task)
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(oracle.act(env.messages))
        done = terminated or truncated
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert info["metrics"]["normalized_memory_score"] == 1.0
    return {"sessions": sessions, "steps": len(env.steps), "steps_per_s": len(env.steps) / elapsed,
            "peak_mb": peak / 2**20, "peak_kb_per_session": peak / 1024 / sessions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, nargs="+", default=[25, 100, 200])
    args = parser.parse_args()
    rows = [run(n) for n in args.updates]
    for r in rows:
        print(f"sessions={r['sessions']} steps={r['steps']} steps_per_s={r['steps_per_s']:.0f} "
              f"peak_mb={r['peak_mb']:.1f} peak_kb_per_session={r['peak_kb_per_session']:.1f}")
    first, last = rows[0], rows[-1]
    print(f"max_sessions={last['sessions']} steps_per_s={last['steps_per_s']:.0f} peak_mb={last['peak_mb']:.1f} "
          f"peak_per_session_ratio={last['peak_kb_per_session'] / first['peak_kb_per_session']:.2f}")


if __name__ == "__main__":
    main()
