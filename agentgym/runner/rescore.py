"""Re-scoring a run from its stored trajectories alone: no policy, no model, no sandbox.

Each trajectory carries its task, so the env's ``score`` and the rubric can be applied again (after a
scorer fix, or with another rubric) and ``scores.json`` rebuilt. ``trajectories.jsonl`` is rewritten
atomically with the new per-episode scores; a crash leaves the old file intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from agentgym.runner.engine import finalize, resolve_env_class, rubric_info, score_episode
from agentgym.runner.rundir import RunDir
from agentgym.types import RunManifest

__all__ = ["rescore"]


def rescore(path: str | Path, rubric: str | None = None) -> dict[str, Any]:
    """Recompute every episode's metrics and rubric scores, then ``scores.json``; returns the scores."""
    rd = RunDir(path)
    manifest = rd.read_manifest()
    env_cls = resolve_env_class(manifest.env)
    rubric_obj = _rubric(env_cls, rubric or manifest.rubric.get("name"))
    rd.lock()  # a run still appending would lose its new episodes when the file is replaced
    try:
        return _rewrite(rd, manifest, env_cls, rubric_obj)
    finally:
        rd.close()


def _rewrite(rd: RunDir, manifest: RunManifest, env_cls: type, rubric_obj: Any) -> dict[str, Any]:
    fd, tmp = tempfile.mkstemp(dir=rd.path, prefix=".trajectories.")
    try:
        with os.fdopen(fd, "wb") as out:
            for traj in rd.trajectories():
                if traj.status != "infra_error":
                    status = traj.status
                    traj = score_episode(traj, env_cls, rubric_obj).model_copy(update={"status": status})
                out.write(traj.model_dump_json().encode() + b"\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, rd.trajectories_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if rubric_obj is not None:
        rd.write_manifest(manifest.model_copy(update={"rubric": rubric_info(rubric_obj)}))
    return finalize(rd, env_cls, manifest.samples)


def _rubric(env_cls: type, name: str | None) -> Any:
    try:
        from agentgym.evaluators import load_rubric, rubric_for, score_trajectory  # noqa: F401
    except ImportError:
        return None
    return load_rubric(name) if name else rubric_for(env_cls)
