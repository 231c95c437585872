"""The run engine: determinism, resume, refusal of mismatched configs, infra errors, timeouts, limiter."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agentgym.errors import ConfigError, InfrastructureError, RunMismatchError
from agentgym.runner.engine import AdaptiveLimiter, RetryingPolicy, run, stable_heap
from agentgym.runner.rundir import RunDir

from runner_helpers import FlakyOracle, SlowOracle


def _lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines()]


def test_oracle_run_writes_a_complete_run_dir(tmp_path: Path) -> None:
    r = run("calculator", split="test", policy="oracle", samples=2, out=tmp_path / "r", concurrency=4,
            progress=False)
    assert r.n_run == 40 and r.scores["success_rate"] == 1.0 and r.scores["n_episodes"] == 40
    assert r.scores["pass_hat_k"] == {"1": 1.0, "2": 1.0} and "tool_calls" in r.scores  # env headline metric
    m = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert m["task_set_hash"] and m["seed"] == 0 and m["policy"]["name"] == "oracle" and m["n_tasks"] == 20
    lines = _lines(tmp_path / "r")
    assert sorted(x["id"] for x in lines) == sorted(f"calc-test-{i:04d}#{s}" for i in range(20) for s in range(2))
    assert all(x["metrics"]["success"] for x in lines)


def test_a_run_tunes_the_garbage_collector_and_restores_it(tmp_path: Path) -> None:
    import gc

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with stable_heap():
        assert gc.get_threshold()[0] >= 50_000 and gc.get_threshold()[2] >= 1000 and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
    run("calculator", split="test", policy="oracle", out=tmp_path / "r", limit=5, progress=False)
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


def test_episode_seeds_and_trajectories_do_not_depend_on_scheduling(tmp_path: Path) -> None:
    a = run("calculator", policy="oracle", samples=2, out=tmp_path / "a", concurrency=1, seed=7, progress=False)
    b = run("calculator", policy=SlowOracle(0.001), samples=2, out=tmp_path / "b", concurrency=16, seed=7,
            progress=False)
    ta = {t.id: t for t in RunDir(tmp_path / "a").trajectories()}
    tb = {t.id: t for t in RunDir(tmp_path / "b").trajectories()}
    assert {i: t.seed for i, t in ta.items()} == {i: t.seed for i, t in tb.items()}
    assert len({t.seed for t in ta.values()}) == 40  # distinct per (task, sample)
    for i in ta:
        assert ta[i].model_copy(update={"policy": ""}).digest() == tb[i].model_copy(update={"policy": ""}).digest()
    assert a.scores == {**b.scores, "usage": a.scores["usage"]}


def test_resume_refuses_a_different_configuration(tmp_path: Path) -> None:
    run("calculator", policy="oracle", out=tmp_path / "r", limit=3, progress=False)
    with pytest.raises(RunMismatchError) as err:
        run("calculator", policy="oracle", out=tmp_path / "r", limit=3, samples=2, progress=False)
    assert "samples: stored 1, now 2" in str(err.value)
    with pytest.raises(RunMismatchError, match="seed"):
        run("calculator", policy="oracle", out=tmp_path / "r", limit=3, seed=1, progress=False)
    # options that do not change results may differ
    again = run("calculator", policy="oracle", out=tmp_path / "r", limit=3, concurrency=1, progress=False)
    assert again.n_run == 0 and again.n_skipped == 3


def test_torn_last_line_is_ignored_and_cut_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "r"
    first = run("calculator", policy="oracle", out=out, limit=4, progress=False)
    path = out / "trajectories.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:2]) + lines[2][: len(lines[2]) // 2])  # a crash mid-write
    assert len(RunDir(out).scan()) == 2
    second = run("calculator", policy="oracle", out=out, limit=4, progress=False)
    assert second.n_run == 2 and second.n_skipped == 2
    assert len(_lines(out)) == 4  # every line parses: the torn tail was cut before appending
    assert second.scores == first.scores


def test_infra_errors_are_recorded_apart_and_retried_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "r"
    broken = {"calc-test-0001", "calc-test-0003"}
    first = run("calculator", policy=FlakyOracle(broken), out=out, limit=5, samples=2, progress=False)
    assert first.n_infra_errors == 4
    assert first.scores["n_episodes"] == 6 and first.scores["n_infra_errors"] == 4
    assert first.scores["success_rate"] == 1.0  # infra errors are not failures of the model
    bad = [x for x in _lines(out) if x["status"] == "infra_error"]
    assert len(bad) == 4 and all("provider down" in x["error"] for x in bad)
    second = run("calculator", policy=FlakyOracle(set()), out=out, limit=5, samples=2, progress=False)
    assert second.n_run == 4 and second.n_skipped == 6
    assert second.scores["n_episodes"] == 10 and second.scores["n_infra_errors"] == 0


def test_retryable_errors_are_retried_per_call(tmp_path: Path) -> None:
    class Once(FlakyOracle):
        async def act(self, observation):  # type: ignore[override]
            self.calls += 1
            if self.calls % 3 == 0:
                raise InfrastructureError("rate limited", retryable=True, status_code=429)
            return await super().act(observation)

    policy = Once(set())
    r = run("calculator", policy=policy, out=tmp_path / "r", limit=6, concurrency=2, progress=False)
    assert r.scores["n_episodes"] == 6 and r.scores["success_rate"] == 1.0 and r.n_infra_errors == 0


def test_episode_timeout_counts_as_a_failure(tmp_path: Path) -> None:
    r = run("calculator", policy=SlowOracle(0.5), out=tmp_path / "r", limit=2, episode_timeout=0.2,
            progress=False)
    assert r.scores["n_episodes"] == 2 and r.scores["success_rate"] == 0.0 and r.scores["n_timeouts"] == 2
    assert {x["status"] for x in _lines(tmp_path / "r")} == {"timeout"}


def test_bad_options_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        run("calculator", policy="oracle", out=tmp_path / "r", samples=0, progress=False)
    with pytest.raises(ConfigError):
        run("calculator", policy="no-such-policy", out=tmp_path / "r2", progress=False)
    with pytest.raises(ConfigError):
        run("calculator", out=tmp_path / "r3", progress=False)


async def test_limiter_halves_on_throttle_and_ramps_back() -> None:
    lim = AdaptiveLimiter(8, cooldown_s=0.0)
    lim.on_throttle()
    assert lim.limit == 4
    lim.on_throttle()
    assert lim.limit == 2
    for _ in range(2 + 3 + 4 + 5 + 6 + 7):
        lim.on_success()
    assert lim.limit == 8
    # the limit bounds how many hold it at once
    lim.limit = 2
    held = 0
    peak = 0

    async def hold() -> None:
        nonlocal held, peak
        async with lim:
            held += 1
            peak = max(peak, held)
            await asyncio.sleep(0.01)
            held -= 1

    await asyncio.gather(*(hold() for _ in range(10)))
    assert peak == 2


def test_a_remote_runners_429_count_is_replayed_once_into_the_limiter() -> None:
    lim = AdaptiveLimiter(16, cooldown_s=0.0)
    seen = lim.replay_throttles(0, 2)  # a worker reports two 429s so far
    assert seen == 2 and lim.throttles == 2 and lim.limit == 4
    seen = lim.replay_throttles(seen, 2)  # the same count again: nothing new
    assert seen == 2 and lim.throttles == 2 and lim.limit == 4
    assert lim.replay_throttles(seen, 3) == 3 and lim.limit == 2


async def test_retrying_policy_reports_throttles_and_gives_up() -> None:
    throttles = []
    inner = FlakyOracle({"t"}, status_code=429, retryable=True)
    pol = RetryingPolicy(inner, retries=3, base_delay_s=0.001, on_throttle=lambda: throttles.append(1))
    from agentgym.policies.base import Observation

    with pytest.raises(InfrastructureError):
        await pol.act(Observation(episode_id="t#0", messages=[]))
    assert inner.calls == 4 and len(throttles) == 4


def test_noise_specs_wrap_every_env_and_are_reproducible(tmp_path: Path) -> None:
    opts = dict(policy="oracle", limit=10, samples=2, noise=["tool:failure=0.3"], progress=False)
    a = run("calculator", out=tmp_path / "a", concurrency=1, **opts)
    b = run("calculator", out=tmp_path / "b", concurrency=8, **opts)
    ta = list(RunDir(tmp_path / "a").trajectories())
    assert sum(len(s.noise) for t in ta for s in t.steps) > 0  # noise was injected
    assert sorted(t.digest() for t in ta) == sorted(t.digest() for t in RunDir(tmp_path / "b").trajectories())
    assert a.scores["success_rate"] >= 0.95 and a.manifest.noise == ["tool:failure=0.3"]
    assert b.scores["success_rate"] == a.scores["success_rate"]
    with pytest.raises(RunMismatchError, match="noise"):
        run("calculator", out=tmp_path / "a", **{**opts, "noise": ["tool:failure=0.5"]})


def test_a_second_run_on_a_busy_run_directory_is_refused(tmp_path: Path) -> None:
    """Two runs appending to one file would duplicate episodes: the second is refused while the first
    writes, and the directory resumes normally once the first is done."""
    import os
    import subprocess
    import sys
    import time

    from agentgym.errors import RunBusyError

    out = tmp_path / "r"
    script = ("import sys; from runner_helpers import SlowOracle; from agentgym.runner.engine import run; "
              "run('calculator', policy=SlowOracle(0.2), out=sys.argv[1], limit=8, concurrency=2, progress=False)")
    env = {**os.environ, "PYTHONPATH": f"{Path(__file__).parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    first = subprocess.Popen([sys.executable, "-c", script, str(out)], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (out / "trajectories.jsonl").exists() and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
    assert first.poll() is None, "the first run ended before the second could start"
    with pytest.raises(RunBusyError, match=f"pid {first.pid}"):
        run("calculator", policy=SlowOracle(0.05), out=out, limit=8, concurrency=2, progress=False)
    assert first.wait(timeout=60) == 0, first.stderr.read().decode()
    again = run("calculator", policy=SlowOracle(0.05), out=out, limit=8, concurrency=2, progress=False)
    assert again.n_run == 0 and again.n_skipped == 8 and len(_lines(out)) == 8
