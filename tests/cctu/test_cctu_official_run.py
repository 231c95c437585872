"""`agentgym run cctu --data PATH` runs the official-format release through the run engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "fixtures" / "official"


def test_run_cli_takes_official_data(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "agentgym", "run", "cctu", "--data", str(DATA), "--policy", "random",
           "--sandbox", "process", "--out", str(out), "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["env_kwargs"] == {"data": str(DATA)}
    ids = {json.loads(line)["task"]["id"] for line in (out / "trajectories.jsonl").read_text().splitlines()}
    source_ids = {json.loads(line)["id"] for line in (DATA / "input_data.jsonl").read_text().splitlines()}
    assert ids == source_ids
    scores = json.loads((out / "scores.json").read_text())
    assert scores["n_episodes"] == len(source_ids) and "sr" in scores and "psr" in scores
