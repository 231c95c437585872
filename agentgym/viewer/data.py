"""The viewer's model of run directories: per-episode summaries for the list, full trajectories on demand.

Summaries are computed once per file version (a live run's file is re-read when it grows), and a full
trajectory is parsed only when its page is opened, so a 10,000-episode run stays cheap to browse.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentgym.errors import ConfigError
from agentgym.runner.rundir import RunDir
from agentgym.types import RunManifest, Trajectory

__all__ = ["EpisodeSummary", "Filters", "Run", "RunSet"]


@dataclass(frozen=True, slots=True)
class EpisodeSummary:
    """What the episode list shows and filters on."""

    run: int
    index: int
    id: str
    task_id: str
    sample: int
    category: str
    success: bool
    status: str
    reward: float
    rubric_total: float | None
    turns: int
    tool_calls: int
    error_kinds: tuple[str, ...]
    noise: int
    violations: int
    tokens: int
    latency_s: float


@dataclass(frozen=True, slots=True)
class Filters:
    """The list page's filters; an empty string means "any"."""

    run: str = ""
    success: str = ""  # "yes" | "no"
    category: str = ""
    error: str = ""  # an ErrorKind, "any" (some error) or "none"
    noise: str = ""  # "yes" | "no"
    q: str = ""  # substring of the task id

    def keep(self, ep: EpisodeSummary) -> bool:
        if self.run and str(ep.run) != self.run:
            return False
        if self.success and ep.success != (self.success == "yes"):
            return False
        if self.category and ep.category != self.category:
            return False
        if self.error == "none" and ep.error_kinds:
            return False
        if self.error == "any" and not ep.error_kinds:
            return False
        if self.error not in ("", "any", "none") and self.error not in ep.error_kinds:
            return False
        if self.noise and (ep.noise > 0) != (self.noise == "yes"):
            return False
        return not self.q or self.q.lower() in ep.task_id.lower()


def summarize(run: int, index: int, t: Trajectory) -> EpisodeSummary:
    kinds = {m.error for s in t.steps for m in s.observation if m.error}
    if t.status != "completed":
        kinds.add("infra" if t.status == "infra_error" else t.status)
    total = t.scores.get("total") if t.scores else None
    return EpisodeSummary(
        run=run, index=index, id=t.id, task_id=t.task.id, sample=t.sample, category=t.task.category or "",
        success=t.success, status=t.status, reward=sum(s.reward for s in t.steps),
        rubric_total=float(total) if isinstance(total, (int, float)) else None, turns=len(t.steps),
        tool_calls=sum(len(s.action.tool_calls) for s in t.steps), error_kinds=tuple(sorted(kinds)),
        noise=sum(len(s.noise) for s in t.steps), violations=sum(len(s.violations) for s in t.steps),
        tokens=t.usage.prompt_tokens + t.usage.completion_tokens,
        latency_s=t.usage.latency_s or t.duration_s,
    )


@dataclass
class Run:
    """One run directory, re-read whenever its trajectory file changes (so a live run can be watched)."""

    number: int
    path: Path
    manifest: RunManifest
    scores: dict[str, Any] = field(default_factory=dict)
    episodes: list[EpisodeSummary] = field(default_factory=list)
    _offsets: list[int] = field(default_factory=list)
    _version: tuple[int, int] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, number: int, path: str | Path) -> Run:
        rundir = RunDir(path)
        if not rundir.exists():
            raise ConfigError(f"{path} is not a run directory (no manifest.json); "
                              f"create one with `agentgym run ENV --out {path}`")
        run = cls(number, rundir.path, rundir.read_manifest())
        run.refresh()
        return run

    @property
    def label(self) -> str:
        policy = self.manifest.policy.get("model") or self.manifest.policy.get("name") or "?"
        return f"{self.path.name} ({policy})"

    def refresh(self) -> None:
        rundir = RunDir(self.path)
        p = rundir.trajectories_path
        version = (p.stat().st_mtime_ns, p.stat().st_size) if p.exists() else (0, 0)
        with self._lock:
            if version == self._version:
                return
            files = rundir.trajectories()
            self._offsets = list(files.offsets)
            self.episodes = [summarize(self.number, i, t) for i, t in enumerate(files)]
            self.scores = json.loads(rundir.scores_path.read_text()) if rundir.scores_path.exists() else {}
            self._version = version

    def trajectory(self, index: int) -> Trajectory:
        with RunDir(self.path).trajectories_path.open("rb") as fh:
            fh.seek(self._offsets[index])
            return Trajectory.model_validate_json(fh.readline())

    def find(self, task_id: str, sample: int = 0) -> int | None:
        """Index of the episode for ``task_id`` (the given sample, else the first one), or None."""
        matches = [e for e in self.episodes if e.task_id == task_id]
        for e in matches:
            if e.sample == sample:
                return e.index
        return matches[0].index if matches else None


class RunSet:
    """The runs one viewer shows, numbered in the order given on the command line."""

    def __init__(self, paths: list[str | Path]):
        if not paths:
            raise ConfigError("give at least one run directory")
        self.runs = [Run.open(i, p) for i, p in enumerate(paths)]

    def refresh(self) -> None:
        for run in self.runs:
            run.refresh()

    def get(self, number: int) -> Run:
        if not 0 <= number < len(self.runs):
            raise KeyError(number)
        return self.runs[number]

    def episodes(self, filters: Filters) -> list[EpisodeSummary]:
        return [e for run in self.runs for e in run.episodes if filters.keep(e)]

    def choices(self) -> dict[str, list[str]]:
        """The values each filter can take, from what the runs hold."""
        eps = [e for run in self.runs for e in run.episodes]
        return {"category": sorted({e.category for e in eps if e.category}),
                "error": sorted({k for e in eps for k in e.error_kinds})}

    def shared_tasks(self) -> list[str]:
        """Task ids present in at least two runs: the ones a comparison can show."""
        seen: dict[str, set[int]] = {}
        for run in self.runs:
            for e in run.episodes:
                seen.setdefault(e.task_id, set()).add(run.number)
        return sorted(t for t, runs in seen.items() if len(runs) > 1)
