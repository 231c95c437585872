"""Tool-call latency per sandbox backend, next to the naive `docker exec python3` per call.

Each backend answers the calculator's ``add`` N times in one warm session; ``exec`` runs the same tool
through ``docker exec <container> python3 -c ...`` (a fresh interpreter per call) in the same container
image, with a bare interpreter (the naive approach's lower bound). ``warm_handout_ms`` is the median ``DockerSandbox.open`` time once the pool is warm.

    .venv/bin/python benchmarks/sandbox_latency.py [--calls 2000] [--exec-calls 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from agentgym.sandbox import make_sandbox
from agentgym.types import ToolCall
from agentgym.world import WorldSpec

SPEC = WorldSpec(factory="agentgym.envs.calculator.world:CalculatorWorld", config={"state": {}})
CALL = ToolCall(id="c", name="add", arguments={"a": 1, "b": 2})
#: the naive approach at its cheapest: a bare interpreter per call (importing agentgym would add ~1.5 s)
EXEC_SNIPPET = "import json, sys; args = json.loads(sys.argv[1]); print(args['a'] + args['b'])"


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000


def time_calls(session, n: int) -> list[float]:
    for _ in range(50):  # warm the connection and the worker
        session.call(CALL)
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = session.call(CALL)
        out.append(time.perf_counter() - t)
        assert r.content == "3", r
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--exec-calls", type=int, default=30)
    ap.add_argument("--handouts", type=int, default=30)
    a = ap.parse_args()
    results: dict[str, float] = {}

    for backend in ("local", "process"):
        sb = make_sandbox(backend)
        with sb, sb.open(SPEC) as s:
            if backend == "process":
                sb.settle()  # let the pool's background refill finish before timing
            lat = time_calls(s, a.calls)
        results[f"{backend}_p50_ms"] = pct(lat, 0.5)
        print(f"{backend:8s} p50={pct(lat, .5):.3f} ms p99={pct(lat, .99):.3f} ms")

    docker = make_sandbox("docker", pool_size=1)
    with docker:
        docker.warm_up(1)
        with docker.open(SPEC) as s:  # first open imports the world module into the server
            docker.settle()  # let the pool's background refill finish before timing
            lat = time_calls(s, a.calls)
        results["docker_p50_ms"], results["docker_p99_ms"] = pct(lat, 0.5), pct(lat, 0.99)
        print(f"docker   p50={pct(lat, .5):.3f} ms p99={pct(lat, .99):.3f} ms")

        handouts = []
        for _ in range(a.handouts):
            docker.settle()  # wait until the pool has refilled: measure a warm handout, not a cold start
            t = time.perf_counter()
            s = docker.open(SPEC)
            handouts.append(time.perf_counter() - t)
            s.close()
        results["warm_handout_ms"] = statistics.median(handouts) * 1000
        print(f"warm handout median={results['warm_handout_ms']:.2f} ms max={max(handouts) * 1000:.2f} ms")

        container = docker.containers()[0]
        ex = []
        for _ in range(a.exec_calls):
            t = time.perf_counter()
            out = subprocess.run(["docker", "exec", container.id, "python3", "-c", EXEC_SNIPPET,
                                  '{"a": 1, "b": 2}'],
                                 capture_output=True, text=True, check=True).stdout.strip()
            ex.append(time.perf_counter() - t)
            assert out == "3", out
        results["exec_p50_ms"] = pct(ex, 0.5)
        print(f"exec     p50={pct(ex, .5):.3f} ms (docker exec python3 per call)")

    results["speedup_vs_exec"] = results["exec_p50_ms"] / results["docker_p50_ms"]
    keys = ["local_p50_ms", "process_p50_ms", "docker_p50_ms", "docker_p99_ms", "exec_p50_ms", "speedup_vs_exec",
            "warm_handout_ms"]
    print(" ".join(f"{k}={results[k]:.3f}" if k != "speedup_vs_exec" else f"{k}={results[k]:.1f}" for k in keys))


if __name__ == "__main__":
    main()
