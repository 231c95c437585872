"""How fast the trajectory viewer opens and serves a big run.

Makes a real calculator oracle run (20 episodes, with 30% tool-failure noise so timelines have noise
events), replicates its lines into a run of N episodes (distinct ids), then times: opening the run (every
episode summarised), the list page, a filtered list page and one episode's timeline, over real HTTP.

    python benchmarks/viewer.py [--episodes 10000]

Last line: episodes=N open_s=... list_page_s=... filtered_page_s=... episode_page_s=...
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from agentgym.runner import engine
from agentgym.viewer import ViewerServer


def _median_s(url: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        resp = httpx.get(url, timeout=120)
        times.append(time.perf_counter() - start)
        resp.raise_for_status()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=10_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="agentgym-viewer-bench-"))
    try:
        seed = work / "seed"
        engine.run("calculator", policy="oracle", noise=["tool:failure=0.3"], out=seed, quiet=True, progress=False)
        lines = (seed / "trajectories.jsonl").read_text().splitlines()
        big = work / "big"
        big.mkdir()
        for name in ("manifest.json", "scores.json"):
            shutil.copy(seed / name, big / name)
        with (big / "trajectories.jsonl").open("w") as fh:
            for i in range(args.episodes):
                traj = json.loads(lines[i % len(lines)])
                traj["id"], traj["sample"] = f"{traj['task']['id']}#{i // len(lines)}", i // len(lines)
                fh.write(json.dumps(traj) + "\n")
        size_mb = (big / "trajectories.jsonl").stat().st_size / 1e6
        start = time.perf_counter()
        viewer = ViewerServer([big])
        open_s = time.perf_counter() - start
        with viewer:
            list_s = _median_s(viewer.url)
            filtered_s = _median_s(viewer.url + "?noise=yes&category=3-step")
            episode_s = _median_s(viewer.url + f"episode?run=0&i={args.episodes // 2}")
        print(f"run: {args.episodes} episodes, {size_mb:.1f} MB of trajectories")
        print(f"episodes={args.episodes} open_s={open_s:.2f} list_page_s={list_s:.3f} "
              f"filtered_page_s={filtered_s:.3f} episode_page_s={episode_s:.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
