"""Steps per second of the calculator env played by its oracle: no sandbox process, no LLM.

The core must never limit RL throughput; the target is at least 20,000 steps/s on one core. Resets and the
oracle's own work are included in the measured time (an RL loop pays for them too).

    python benchmarks/env_step.py [--episodes 3000]
"""

from __future__ import annotations

import argparse
import time

import agentgym


def run(episodes: int) -> tuple[int, float]:
    env = agentgym.make("calculator", split="train")
    tasks = env.tasks
    steps = 0
    start = time.perf_counter()
    for i in range(episodes):
        env.reset(seed=i, options={"task_id": tasks[i % len(tasks)].id})  # as an RL loop names its tasks
        oracle = env.make_oracle(env.task)
        done = False
        while not done:
            _, _, terminated, truncated, _ = env.step(oracle.act(env.messages))
            steps += 1
            done = terminated or truncated
    return steps, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=3000)
    args = parser.parse_args()
    run(200)  # warm up imports and caches
    steps, elapsed = run(args.episodes)
    print(f"{steps} steps in {elapsed:.2f} s over {args.episodes} episodes "
          f"({steps / args.episodes:.1f} steps per episode)")
    print(f"steps_per_s={steps / elapsed:.0f}")


if __name__ == "__main__":
    main()
