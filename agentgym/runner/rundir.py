"""The run directory: ``manifest.json`` + ``trajectories.jsonl`` (append-only) + ``scores.json``.

Crash safety comes from the append discipline: each finished episode is one full JSON line written with a
single ``write`` on an ``O_APPEND`` descriptor and then ``fsync``-ed, so after a ``kill -9`` the file holds
whole episodes plus at most one torn last line, which ``open`` cuts off before appending again. Resuming
compares the stored manifest with the new one and refuses to mix runs whose configuration differs.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_core import from_json, to_json

from agentgym.errors import RunBusyError, RunMismatchError
from agentgym.taskstore import atomic_write
from agentgym.types import RunManifest, Trajectory

__all__ = ["HEAD_FIELDS", "EpisodeLine", "EpisodeRecord", "RunDir", "TrajectoryFile", "score_head"]

MANIFEST, TRAJECTORIES, SCORES, LOCK = "manifest.json", "trajectories.jsonl", "scores.json", ".lock"
#: manifest fields that do not change results, so a resume may differ in them
_VOLATILE = {"run_id", "created_at", "usage", "git_commit", "agentgym_version"}


@dataclass(slots=True)
class EpisodeRecord:
    """Where one stored episode is, whether it counts as done (infra errors are retried), and its
    ``score_head`` when known (as compact JSON: a tenth of the line, a third of the dicts), so that scoring
    the run need not parse the line again."""

    offset: int
    status: str
    head: bytes | None = None


#: the fields of a stored trajectory that run scores read (``score_head``); a ``model_dump`` include spec
HEAD_FIELDS: dict[str, Any] = {"id": True, "task": {"id", "split", "category"}, "sample": True, "status": True,
                               "metrics": True, "scores": {"total", "axes"}, "usage": True}


@dataclass(frozen=True, slots=True)
class EpisodeLine:
    """A finished episode in stored form: its line of ``trajectories.jsonl`` and its ``score_head``.

    Executors hand finished episodes to the run directory in this form, so an episode played in another
    process (``--workers``, Ray) is serialized once, where it was played, and never parsed by the driver.
    """

    line: bytes
    head: dict[str, Any]

    @classmethod
    def of(cls, trajectory: Trajectory) -> EpisodeLine:
        # the head is taken from the JSON form, so it equals what a reader of the file sees
        return cls(trajectory.model_dump_json().encode() + b"\n",
                   score_head(trajectory.model_dump(mode="json", include=HEAD_FIELDS)))

    @property
    def id(self) -> str:
        return str(self.head["id"])

    @property
    def status(self) -> str:
        return str(self.head.get("status", "completed"))


def score_head(stored: dict[str, Any]) -> dict[str, Any]:
    """What run scores read of a stored trajectory's JSON object: a few small fields out of the whole line
    (a step-by-step trajectory is kilobytes; parsing every line again was most of a large run's scoring)."""
    head: dict[str, Any] = {}
    for key, sub in HEAD_FIELDS.items():
        if key not in stored:
            continue
        value = stored[key]
        if isinstance(sub, set) and isinstance(value, dict):
            value = {k: value[k] for k in sorted(sub) if k in value}
        head[key] = value
    return head


def note_record(records: dict[str, EpisodeRecord], episode_id: str, record: EpisodeRecord) -> None:
    """Keep ``record`` if it is decisive for its episode: a scored record beats an infra error, later beats
    earlier."""
    prev = records.get(episode_id)
    if prev is None or prev.status == "infra_error" or record.status != "infra_error":
        records[episode_id] = record


class TrajectoryFile(Sequence[Trajectory]):
    """A read-only, lazy sequence over chosen lines of ``trajectories.jsonl``.

    Holding offsets instead of parsed trajectories keeps a 10,000-episode run's memory flat. ``heads``,
    when given, are the lines' ``score_head`` as compact JSON (in the same order), as the run kept them.
    """

    def __init__(self, path: Path, offsets: list[int], heads: list[bytes] | None = None):
        self.path, self.offsets, self._heads = path, offsets, heads

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        with self.path.open("rb") as fh:
            fh.seek(self.offsets[i])
            return Trajectory.model_validate_json(fh.readline())

    def heads(self) -> Iterator[dict[str, Any]]:
        """Each line's ``score_head``, unvalidated: what scoring the run reads."""
        if self._heads is not None:
            for head in self._heads:
                yield from_json(head)
            return
        with self.path.open("rb") as fh:
            for off in self.offsets:
                fh.seek(off)
                yield score_head(from_json(fh.readline()))

    def select(self, indices: list[int]) -> TrajectoryFile:
        """The chosen items, still lazy (iterating them reads the file once, in order)."""
        return TrajectoryFile(self.path, [self.offsets[i] for i in indices])

    def __iter__(self) -> Iterator[Trajectory]:
        with self.path.open("rb") as fh:
            for off in self.offsets:
                fh.seek(off)
                yield Trajectory.model_validate_json(fh.readline())


class RunDir:
    """One run's folder. ``open`` creates or resumes it; ``append`` records a finished episode."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.manifest_path = self.path / MANIFEST
        self.trajectories_path = self.path / TRAJECTORIES
        self.scores_path = self.path / SCORES
        self._writer: _Appender | None = None
        self._lock: int | None = None

    # ------------------------------------------------------------------ manifest
    def exists(self) -> bool:
        return self.manifest_path.exists()

    def read_manifest(self) -> RunManifest:
        if not self.manifest_path.exists():
            raise FileNotFoundError(f"{self.path} is not a run directory (no {MANIFEST})")
        return RunManifest.model_validate_json(self.manifest_path.read_bytes())

    def open(self, manifest: RunManifest) -> RunManifest:
        """Start a new run, or check that ``manifest`` matches the stored one and resume it.

        Returns the manifest in force (the stored one when resuming, so its run id and dates survive).
        Raises ``RunBusyError`` while another run has the directory open.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        self.lock()
        if self.exists():
            stored = self.read_manifest()
            diffs = manifest_diff(stored, manifest)
            if diffs:
                raise RunMismatchError(
                    f"{self.path} holds a run with a different configuration ({'; '.join(diffs)}); "
                    f"use another --out directory, or rerun with the original options to resume it")
            manifest = stored
        else:
            self.write_manifest(manifest)
        self._cut_torn_tail()
        return manifest

    def write_manifest(self, manifest: RunManifest) -> None:
        atomic_write(self.manifest_path, (manifest.model_dump_json(indent=2) + "\n").encode())

    # ------------------------------------------------------------------ trajectories
    def _cut_torn_tail(self) -> None:
        """Drop a partial last line left by a crash mid-write, so new lines start on a fresh line."""
        p = self.trajectories_path
        if not p.exists() or p.stat().st_size == 0:
            return
        with p.open("rb+") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - 1))
            if fh.read(1) == b"\n":
                return
            pos = size
            while pos > 0:  # walk back to the last newline
                step = min(65536, pos)
                fh.seek(pos - step)
                chunk = fh.read(step)
                nl = chunk.rfind(b"\n")
                if nl >= 0:
                    pos = pos - step + nl + 1
                    break
                pos -= step
            fh.truncate(pos)
            fh.flush()
            os.fsync(fh.fileno())

    def scan(self) -> dict[str, EpisodeRecord]:
        """Episode id -> its decisive record (a scored record beats an infra error; later beats earlier).

        A line that does not parse (a torn tail) is ignored.
        """
        records: dict[str, EpisodeRecord] = {}
        if not self.trajectories_path.exists():
            return records
        with self.trajectories_path.open("rb") as fh:
            offset = 0
            for line in fh:
                start, offset = offset, offset + len(line)
                if not line.endswith(b"\n"):
                    break
                try:
                    stored = json.loads(line)
                    eid, status = stored["id"], stored.get("status", "completed")
                except (ValueError, KeyError, TypeError):
                    continue
                note_record(records, eid, EpisodeRecord(start, status, to_json(score_head(stored))))
        return records

    def trajectories(self, records: dict[str, EpisodeRecord] | None = None) -> TrajectoryFile:
        """Every episode's decisive trajectory, lazily (one per id)."""
        records = self.scan() if records is None else records
        chosen = sorted(records.values(), key=lambda r: r.offset)
        heads = [r.head for r in chosen]
        return TrajectoryFile(self.trajectories_path, [r.offset for r in chosen],
                              heads if all(h is not None for h in heads) else None)  # type: ignore[arg-type]

    def append(self, line: bytes) -> Future[int]:
        """Queue one episode's line (``EpisodeLine.line``) for a durable append; the future resolves to the
        line's offset once it is fsync-ed."""
        if self._writer is None:
            self._writer = _Appender(self.trajectories_path)
        return self._writer.submit(line)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def lock(self) -> None:
        """Hold the directory for writing until ``close``: an exclusive ``flock`` on ``.lock`` (``open``
        takes it; so does ``rescore``, which rewrites the file). The kernel drops it when the process dies,
        so a killed run never leaves the directory locked. Raises ``RunBusyError`` if another run holds it."""
        if self._lock is not None:
            return
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise RunBusyError(f"{self.path} is being written by another run (pid {holder}); wait for it to "
                               f"finish, or use another --out") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock = fd

    # ------------------------------------------------------------------ scores
    def write_scores(self, scores: dict[str, Any]) -> None:
        atomic_write(self.scores_path, (json.dumps(scores, indent=2, sort_keys=True) + "\n").encode())

    def read_scores(self) -> dict[str, Any]:
        if not self.scores_path.exists():
            raise FileNotFoundError(f"{self.path} has no {SCORES}; run `agentgym rescore {self.path}`")
        return json.loads(self.scores_path.read_text())


def manifest_diff(a: RunManifest, b: RunManifest) -> list[str]:
    """Human-readable differences between two manifests in the fields that change results."""
    da = a.model_dump(mode="json", exclude=_VOLATILE)
    db = b.model_dump(mode="json", exclude=_VOLATILE)
    out = []
    for key in sorted(set(da) | set(db)):
        va, vb = da.get(key), db.get(key)
        if va == vb:
            continue
        if isinstance(va, dict) and isinstance(vb, dict):
            for sub in sorted(set(va) | set(vb)):
                if va.get(sub) != vb.get(sub):
                    out.append(f"{key}.{sub}: stored {va.get(sub)!r}, now {vb.get(sub)!r}")
        else:
            out.append(f"{key}: stored {va!r}, now {vb!r}")
    return out


class _Appender:
    """A writer thread doing group commit: each line is one ``write``, then one ``fsync`` per batch.

    Keeping disk waits off the event loop is what lets the harness sustain hundreds of episodes per second.
    """

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.queue: queue.Queue[tuple[bytes, Future[int]] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="trajectory-appender", daemon=True)
        self.thread.start()

    def submit(self, line: bytes) -> Future[int]:
        fut: Future[int] = Future()
        self.queue.put((line, fut))
        return fut

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            batch = [item]
            while True:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            stop = None in batch
            entries = [e for e in batch if e is not None]
            offsets = []
            try:
                for line, _ in entries:
                    view = memoryview(line)
                    while view:  # a regular-file write of a line is whole in practice; loop just in case
                        view = view[os.write(self.fd, view):]
                    offsets.append(os.lseek(self.fd, 0, os.SEEK_CUR) - len(line))
                os.fsync(self.fd)
            except OSError as exc:
                for _, fut in entries:
                    fut.set_exception(exc)
            else:
                for (_, fut), offset in zip(entries, offsets):
                    fut.set_result(offset)
            if stop:
                return

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        os.close(self.fd)
