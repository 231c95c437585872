"""A third-party package adds an env through the ``agentgym.envs`` entry-point group, untouched repo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLUGIN = Path(__file__).parent.parent / "plugin_pkg"

SCRIPT = """
import asyncio, gymnasium, agentgym
from agentgym.policies import OraclePolicy
from agentgym.runner.episode import run_episode
assert "echo" in agentgym.list_envs(), agentgym.list_envs()
env = agentgym.make("echo")
wins = [asyncio.run(run_episode(env, OraclePolicy(), task_id=t.id, seed=0)).metrics["success"] for t in env.tasks]
genv = gymnasium.make("agentgym/echo-v0")
obs, info = genv.reset(seed=0)
print("RESULT", len(wins), all(wins), info["tools"][0]["name"])
"""


def test_installed_plugin_env_is_discovered_and_runs(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(PLUGIN)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "RESULT 3 True echo" in out.stdout
