"""Sales (DuCA) env: episodes/s and steps/s of the oracle and the pushy strategy over the test split,
with the headline metrics each reaches.

    python benchmarks/sales_oracle.py
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import agentgym
from agentgym.envs.sales import SalesEnv


def run(strategy: str) -> dict[str, float]:
    env = agentgym.make("sales", split="test")
    metrics, steps = [], 0
    start = time.perf_counter()
    for task in env.tasks:
        env.reset(seed=0, options={"task_id": task.id})
        agent = env.make_oracle(env.task, strategy=strategy)
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(agent.act(env.messages))
            steps += 1
            done = terminated or truncated
        metrics.append(info["metrics"])
    elapsed = time.perf_counter() - start
    agg = SalesEnv.aggregate([SimpleNamespace(metrics=m) for m in metrics])
    return {"episodes_per_s": len(metrics) / elapsed, "steps_per_s": steps / elapsed, **agg}


def main() -> None:
    oracle, pushy = run("oracle"), run("pushy")
    for name, r in (("oracle", oracle), ("pushy", pushy)):
        print(f"{name}: " + " ".join(f"{k}={v:.3f}" for k, v in r.items()))
    print(f"episodes_per_s={oracle['episodes_per_s']:.0f} steps_per_s={oracle['steps_per_s']:.0f} "
          f"oracle_conversion_rate_convertible={oracle['conversion_rate_convertible']:.3f} "
          f"oracle_violation_rate={oracle['compliance_violation_rate']:.3f} "
          f"pushy_repetition_rate={pushy['repetition_rate']:.3f} "
          f"pushy_identity_detection_rate={pushy['identity_detection_rate']:.3f}")


if __name__ == "__main__":
    main()
