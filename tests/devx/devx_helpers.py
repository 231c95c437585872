"""Helpers for the developer-experience tests (a module of its own: `conftest` names clash across folders)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def agentgym_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run ``python -m agentgym ARGS`` and return its stdout; a failure shows the command's output."""
    out = subprocess.run([sys.executable, "-m", "agentgym", *args], cwd=cwd, env=env, capture_output=True,
                         text=True)
    assert out.returncode == 0, f"agentgym {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout
