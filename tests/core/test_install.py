"""`pip install .` (not editable) ships everything: mapped packages, task files, templates, migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import agentgym, sys
from pathlib import Path
assert agentgym.__file__.startswith(sys.argv[1]), agentgym.__file__
for name in agentgym.list_envs():
    env = agentgym.make(name)
    obs, info = env.reset(seed=0)
    assert obs and env.tasks, name
from agentgym.scaffold import TEMPLATES
from agentgym.evaluators import rubric_for
import agentgym.leaderboard.db, agentgym.viewer
assert (TEMPLATES / "env.py.tmpl").exists()
assert all(rubric_for(n) for n in agentgym.list_envs())
print("OK", len(agentgym.list_envs()))
"""


def test_a_regular_install_has_every_env_task_file_and_template(tmp_path):
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(REPO)], check=True, capture_output=True)
    wheel = next(wheels.glob("agentgym-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(site)], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(site)})
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("OK 5")
