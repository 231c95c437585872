"""``--workers N``: episodes played in forked harness processes, recorded by the driver; and the ramp-up."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agentgym.errors import ConfigError, InfrastructureError
from agentgym.policies.base import Observation, PolicyOutput
from agentgym.runner.engine import run
from agentgym.runner.rundir import RunDir

from runner_helpers import SlowOracle


class PidOracle(SlowOracle):
    """The flaky slow oracle, noting which process played each turn; with ``kill_at`` a worker kills itself
    (once: a marker file remembers it) when it reaches that episode, like a worker the OOM killer took."""

    def __init__(self, log: Path, kill_at: str | None = None):
        super().__init__(0.002, flaky=True)
        self.log, self.kill_at, self.driver = log, kill_at, os.getpid()

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "flaky": True}  # the same run whoever plays it

    async def act(self, observation: Observation) -> PolicyOutput:
        with self.log.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        marker = self.log.with_suffix(".killed")
        if observation.episode_id == self.kill_at and os.getpid() != self.driver and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return await super().act(observation)


def _ids(out: Path) -> list[str]:
    return [json.loads(line)["id"] for line in (out / "trajectories.jsonl").read_text().splitlines()]


def test_workers_play_the_same_episodes_as_one_process(tmp_path: Path) -> None:
    log = tmp_path / "pids.log"
    one = run("calculator", policy=SlowOracle(0.002, flaky=True), samples=2, out=tmp_path / "one", concurrency=8,
              seed=7, progress=False)
    three = run("calculator", policy=PidOracle(log), samples=2, out=tmp_path / "three", concurrency=8, seed=7,
                workers=3, progress=False)
    pids = set(log.read_text().split())
    assert len(pids) == 3 and str(os.getpid()) not in pids  # played by three worker processes, not the driver

    a = {t.id: t for t in RunDir(tmp_path / "one").trajectories()}
    b = {t.id: t for t in RunDir(tmp_path / "three").trajectories()}
    assert sorted(a) == sorted(b) and len(b) == 40 and Counter(_ids(tmp_path / "three")).most_common(1)[0][1] == 1
    for i in a:
        assert a[i].model_copy(update={"policy": ""}).digest() == b[i].model_copy(update={"policy": ""}).digest()
    assert three.n_run == 40 and one.scores == {**three.scores, "usage": one.scores["usage"]}
    assert 0.4 < three.scores["success_rate"] < 0.9  # mixed, decided by the seeds


def test_a_dead_worker_stops_the_run_and_the_same_command_resumes_it(tmp_path: Path) -> None:
    out, log = tmp_path / "r", tmp_path / "pids.log"
    kwargs: dict[str, Any] = dict(split="train", samples=2, out=out, concurrency=4, seed=3, limit=30, workers=2,
                                  progress=False)
    with pytest.raises(InfrastructureError) as err:
        run("calculator", policy=PidOracle(log, kill_at="calc-train-0012#1"), **kwargs)
    assert "exited with code -9" in str(err.value) and "rerun the same command" in str(err.value)
    done = _ids(out)
    assert 0 < len(done) < 60 and "calc-train-0012#1" not in done

    resumed = run("calculator", policy=PidOracle(log, kill_at="calc-train-0012#1"), **kwargs)
    ids = _ids(out)
    assert len(ids) == 60 and Counter(ids).most_common(1)[0][1] == 1  # none lost, none duplicated
    assert resumed.n_skipped == len(done) and resumed.n_run == 60 - len(done)
    fresh = run("calculator", policy=SlowOracle(0.002, flaky=True), **{**kwargs, "out": tmp_path / "fresh",
                                                                        "workers": 1})
    assert {**resumed.scores, "usage": None} == {**fresh.scores, "usage": None}


def test_first_episodes_start_over_the_ramp_up(tmp_path: Path) -> None:
    run("calculator", policy=SlowOracle(0.3), out=tmp_path / "r", limit=4, concurrency=4, ramp_up_s=0.6,
        progress=False)
    starts = sorted(datetime.fromisoformat(json.loads(line)["started_at"]).timestamp()
                    for line in (tmp_path / "r" / "trajectories.jsonl").read_text().splitlines())
    assert starts[-1] - starts[0] >= 0.4  # worker k starts after k/4 of the ramp: 0, 0.15, 0.3, 0.45 s


def test_bad_worker_and_ramp_options_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--workers"):
        run("calculator", policy="oracle", out=tmp_path / "a", workers=0, progress=False)
    with pytest.raises(ConfigError, match="--workers is for the local executor"):
        run("calculator", policy="oracle", out=tmp_path / "b", workers=2, executor="ray", progress=False)
    with pytest.raises(ConfigError, match="--ramp-up"):
        run("calculator", policy="oracle", out=tmp_path / "c", ramp_up_s=-1, progress=False)
