"""Task files: ``tasks/<env>/<split>.jsonl``, one ``Task`` per line, with a ``SHA256SUMS`` beside them.

Task files are generated from a fixed seed by each env's generator, so the checksums let a run detect a file
that was edited by hand or truncated, and the task-set hash recorded in every run manifest ties results to
the exact tasks they were measured on.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from agentgym.errors import TaskFileError
from agentgym.types import Task, canonical_json

CHECKSUMS = "SHA256SUMS"


def builtin_task_root() -> Path:
    """Where the task files shipped with agentgym live (``tasks/`` in a checkout)."""
    spec = importlib.util.find_spec("agentgym.tasks")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("agentgym.tasks data package is missing; reinstall agentgym")
    return Path(list(spec.submodule_search_locations)[0])


def load_tasks(path: str | Path, *, verify: bool = True) -> list[Task]:
    """Read a task file; a bad line fails with the file, line number and field."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"task file {path} does not exist; generate it with `agentgym tasks generate`")
    data = path.read_bytes()
    if verify:
        _verify_checksum(path, data)
    tasks: list[Task] = []
    seen: set[str] = set()
    for lineno, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskFileError(str(path), lineno, f"not valid JSON: {exc.msg} at column {exc.colno}") from None
        try:
            task = Task.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            field = ".".join(str(p) for p in err["loc"]) or "(task)"
            raise TaskFileError(str(path), lineno, f"field '{field}': {err['msg']}") from None
        if task.id in seen:
            raise TaskFileError(str(path), lineno, f"field 'id': duplicate task id {task.id!r}")
        seen.add(task.id)
        tasks.append(task)
    return tasks


def _verify_checksum(path: Path, data: bytes) -> None:
    sums = read_checksums(path.parent)
    expected = sums.get(path.name)
    if expected is not None and expected != hashlib.sha256(data).hexdigest():
        raise TaskFileError(str(path), 0, "content does not match SHA256SUMS (edited or truncated?); "
                                          "regenerate it with `agentgym tasks generate`")


def read_checksums(folder: Path) -> dict[str, str]:
    f = folder / CHECKSUMS
    if not f.exists():
        return {}
    out = {}
    for line in f.read_text().splitlines():
        if line.strip():
            digest, _, name = line.partition("  ")
            out[name.strip()] = digest.strip()
    return out


def dump_tasks(tasks: Iterable[Task]) -> bytes:
    return "".join(canonical_json(t.model_dump(mode="json")) + "\n" for t in tasks).encode("utf-8")


def write_tasks(folder: str | Path, split: str, tasks: Iterable[Task]) -> Path:
    """Write one split atomically and update ``SHA256SUMS``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = dump_tasks(tasks)
    path = folder / f"{split}.jsonl"
    atomic_write(path, data)
    sums = read_checksums(folder)
    sums[path.name] = hashlib.sha256(data).hexdigest()
    atomic_write(folder / CHECKSUMS, "".join(f"{d}  {n}\n" for n, d in sorted(sums.items())).encode())
    return path


def atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes files owner-only; data files are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class TaskList(list[Task]):
    """A split's tasks with a lookup by id, built on first use and shared by whoever shares the list: a run
    makes one env per concurrent episode, and each building its own index cost 256 x 2,000 inserts."""

    _by_id: dict[str, Task] | None = None

    def by_id(self) -> dict[str, Task]:
        if self._by_id is None:
            self._by_id = {t.id: t for t in self}
        return self._by_id


def task_set_hash(tasks: Iterable[Task]) -> str:
    """sha256 of the canonical form of a task list (order-sensitive: splits are ordered)."""
    return hashlib.sha256(dump_tasks(tasks)).hexdigest()
