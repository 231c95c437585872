"""Packing runs into bundles, reading them back, and ``agentgym submit --dry-run``."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from leaderboard_helpers import AGENTGYM, repack, unpack

from agentgym.leaderboard.bundle import BundleError, BundleTooLargeError, build_bundle, pack_run, read_bundle
from agentgym.leaderboard.verify import SubmissionRejected, verify_bundle


def test_a_packed_run_round_trips_and_verifies(runs: dict[str, Path]) -> None:
    data = pack_run(runs["flaky"], organisation="acme")
    assert pack_run(runs["flaky"], organisation="acme") == data  # deterministic: duplicates are detectable
    bundle = read_bundle(io.BytesIO(data))
    manifest = json.loads((runs["flaky"] / "manifest.json").read_text())
    info = bundle.info
    assert (info.model, info.organisation, info.env, info.split) == ("flaky-oracle", "acme", "calculator", "test")
    assert info.task_set_hash == manifest["task_set_hash"]
    assert (info.harness.samples, info.harness.sandbox, info.harness.rubric) == (2, "local", manifest["rubric"])
    assert info.harness.policy == manifest["policy"] and info.harness.max_turns == 10
    assert len(bundle.trajectories) == 40
    verified = verify_bundle(bundle)
    assert verified.scores["success_rate"] == pytest.approx(0.7)
    assert verified.scores == json.loads((runs["flaky"] / "scores.json").read_text())


def test_a_resumed_run_packs_each_episodes_decisive_record(runs: dict[str, Path], tmp_path: Path) -> None:
    """An infra error retried on resume stays in trajectories.jsonl; the bundle carries the retry only."""
    run = tmp_path / "resumed"
    shutil.copytree(runs["oracle"], run)
    lines = (run / "trajectories.jsonl").read_text().splitlines()
    failed = json.loads(lines[3])
    failed.update(status="infra_error", error="provider 503", steps=[], metrics={}, scores={})
    (run / "trajectories.jsonl").write_text("\n".join([json.dumps(failed)] + lines) + "\n")
    bundle = read_bundle(io.BytesIO(pack_run(run, model="m")))
    assert len(bundle.trajectories) == 40 and all(t.status == "completed" for t in bundle.trajectories)
    verify_bundle(bundle)


def test_an_oracle_run_needs_a_model_name(runs: dict[str, Path]) -> None:
    with pytest.raises(BundleError, match="--model"):
        pack_run(runs["oracle"])


def test_unreadable_and_inconsistent_bundles_are_typed_errors(runs: dict[str, Path]) -> None:
    data = pack_run(runs["oracle"], model="m")
    with pytest.raises(BundleError) as err:
        read_bundle(io.BytesIO(data[: len(data) // 2]))
    assert err.value.reason == "bad_bundle"
    info, trajs = unpack(data)
    raw = "".join(json.dumps(t) + "\n" for t in trajs[:-1]).encode()
    short = build_bundle({**info, "trajectories_sha256": hashlib.sha256(raw).hexdigest()}, raw)
    with pytest.raises(BundleError, match="claims 40 trajectories but"):
        read_bundle(io.BytesIO(short))
    with pytest.raises(BundleTooLargeError):
        read_bundle(io.BytesIO(data), max_uncompressed=1000)
    trajs[0]["steps"][0]["action"]["role"] = "wizard"
    with pytest.raises(BundleError, match="trajectories.jsonl:1"):
        read_bundle(io.BytesIO(repack(info, trajs)))


def test_verification_rejects_another_envs_version(runs: dict[str, Path]) -> None:
    info, trajs = unpack(pack_run(runs["oracle"], model="m"))
    with pytest.raises(SubmissionRejected) as err:
        verify_bundle(read_bundle(io.BytesIO(repack({**info, "env_version": "0.0.1"}, trajs))))
    assert err.value.reason == "env_version_mismatch"
    with pytest.raises(SubmissionRejected) as err:
        verify_bundle(read_bundle(io.BytesIO(repack({**info, "env": "no-such-env"}, trajs))))
    assert err.value.reason == "unknown_env"


def test_submit_dry_run_validates_locally(runs: dict[str, Path], tmp_path: Path) -> None:
    ok = subprocess.run([AGENTGYM, "submit", str(runs["flaky"]), "--dry-run", "--output", str(tmp_path / "b.tgz")],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "bundle OK" in ok.stdout and "success_rate=0.7000" in ok.stdout
    assert (tmp_path / "b.tgz").read_bytes() == pack_run(runs["flaky"])
    tampered = tmp_path / "tampered"
    shutil.copytree(runs["flaky"], tampered)
    scores = json.loads((tampered / "scores.json").read_text())
    (tampered / "scores.json").write_text(json.dumps({**scores, "success_rate": 0.9}))
    bad = subprocess.run([AGENTGYM, "submit", str(tampered), "--dry-run"], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "score_mismatch" in bad.stderr and "scores.success_rate" in bad.stderr
