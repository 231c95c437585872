"""``--executor ray`` on a local Ray instance (loopback, 2 CPUs): same results and resume semantics."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agentgym.runner.engine import run
from agentgym.runner.rundir import RunDir

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    yield
    ray.shutdown()


@pytest.mark.ray
@pytest.mark.slow
def test_ray_executor_matches_local_and_resumes(tmp_path: Path, local_ray: None) -> None:
    opts = dict(policy="oracle", samples=2, limit=6, seed=5, progress=False)
    local = run("calculator", out=tmp_path / "local", **opts)
    remote = run("calculator", out=tmp_path / "ray", executor="ray", concurrency=4, **opts)
    assert remote.n_run == 12 and remote.scores == {**local.scores, "usage": remote.scores["usage"]}
    digests = {t.id: t.digest() for t in RunDir(tmp_path / "local").trajectories()}
    assert {t.id: t.digest() for t in RunDir(tmp_path / "ray").trajectories()} == digests

    # a half-finished run directory resumes under Ray: only the missing episodes run, each once
    path = tmp_path / "ray" / "trajectories.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:5]))
    (tmp_path / "ray" / "scores.json").unlink()
    again = run("calculator", out=tmp_path / "ray", executor="ray", concurrency=4, **opts)
    assert again.n_run == 7 and again.n_skipped == 5
    ids = [json.loads(x)["id"] for x in path.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 12
    assert again.scores == {**local.scores, "usage": again.scores["usage"]}
