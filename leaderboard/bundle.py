"""Submission bundles: what ``agentgym submit`` uploads and what the leaderboard server verifies.

A bundle is a gzip-compressed tar archive with two members:

* ``submission.json`` — a :class:`SubmissionInfo`: who ran which model on which env, split and task set,
  under which harness (policy settings, sandbox, noise, rubric, number of samples), and the scores the
  submitter claims;
* ``trajectories.jsonl`` — every episode of the run, one scored ``Trajectory`` per line.

The claimed scores are never trusted: the server re-scores the trajectories and compares (see
``agentgym.leaderboard.verify``). Reading enforces a limit on the *uncompressed* size too, so a small
upload cannot expand into a memory-exhausting one.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentgym.errors import AgentGymError
from agentgym.types import RunManifest, Trajectory

SUBMISSION_FILE = "submission.json"
TRAJECTORIES_FILE = "trajectories.jsonl"
#: Uncompressed size a bundle may expand to unless the caller says otherwise.
DEFAULT_MAX_UNCOMPRESSED = 512 * 1024 * 1024


class BundleError(AgentGymError, ValueError):
    """A bundle that cannot be read or does not match the schema. ``reason`` is a short machine code."""

    def __init__(self, reason: str, message: str):
        self.reason, self.message = reason, message
        super().__init__(message)


class BundleTooLargeError(BundleError):
    def __init__(self, message: str):
        super().__init__("too_large", message)


class Harness(BaseModel):
    """The settings that change scores, shown next to each leaderboard row."""

    model_config = ConfigDict(extra="forbid")

    policy: dict[str, Any] = Field(default_factory=dict)
    sandbox: str = "local"
    noise: list[str] = Field(default_factory=list)
    rubric: dict[str, Any] = Field(default_factory=dict)
    samples: int = Field(ge=1)
    seed: int = 0
    max_turns: int | None = None
    env_kwargs: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)


class SubmissionInfo(BaseModel):
    """``submission.json``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    model: str = Field(min_length=1, max_length=200)
    organisation: str = Field(default="", max_length=200)
    agentgym_version: str
    env: str = Field(min_length=1, max_length=100)
    env_version: str
    split: str = Field(min_length=1, max_length=100)
    task_set_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    harness: Harness
    run_id: str = ""
    #: the run's ``scores.json`` as the submitter's harness computed it
    scores: dict[str, Any]
    n_trajectories: int = Field(ge=0)
    trajectories_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


@dataclass
class Bundle:
    info: SubmissionInfo
    trajectories: list[Trajectory]
    sha256: str  # of the compressed archive: identical uploads are refused as duplicates


# ---------------------------------------------------------------------------------------------- packing
def pack_run(run_dir: str | Path, *, model: str | None = None, organisation: str = "") -> bytes:
    """Pack a run directory (``manifest.json``, ``trajectories.jsonl``, ``scores.json``) into a bundle.

    ``trajectories.jsonl`` is append-only, so a resumed run may hold earlier records of an episode that was
    retried after an infrastructure error; the bundle carries each episode's decisive record, the same one
    the run's ``scores.json`` was computed from.
    """
    run = Path(run_dir)
    for name in ("manifest.json", TRAJECTORIES_FILE, "scores.json"):
        if not (run / name).is_file():
            raise FileNotFoundError(f"{run / name} is missing; is {run} a finished `agentgym run` directory?")
    try:
        manifest = RunManifest.model_validate_json((run / "manifest.json").read_text())
    except ValidationError as exc:
        raise BundleError("schema", f"{run / 'manifest.json'}: {_first_error(exc)}") from None
    scores = json.loads((run / "scores.json").read_text())
    from agentgym.runner.rundir import RunDir

    lines_out = []
    with (run / TRAJECTORIES_FILE).open("rb") as fh:
        for record in sorted(RunDir(run).scan().values(), key=lambda r: r.offset):
            fh.seek(record.offset)
            lines_out.append(fh.readline().rstrip(b"\n") + b"\n")
    lines = b"".join(lines_out)
    model = model or manifest.policy.get("model")
    if not model:
        raise BundleError("schema", "the run's policy names no model; pass --model")
    harness = Harness(policy=manifest.policy, sandbox=manifest.sandbox, noise=manifest.noise,
                      rubric=manifest.rubric, samples=manifest.samples, seed=manifest.seed,
                      max_turns=manifest.harness.get("max_turns"), env_kwargs=manifest.env_kwargs,
                      extra={k: v for k, v in manifest.harness.items() if k != "max_turns"})
    info = SubmissionInfo(
        model=model, organisation=organisation, agentgym_version=manifest.agentgym_version,
        env=manifest.env, env_version=manifest.env_version, split=manifest.split,
        task_set_hash=manifest.task_set_hash, harness=harness, run_id=manifest.run_id, scores=scores,
        n_trajectories=len(lines_out), trajectories_sha256=hashlib.sha256(lines).hexdigest())
    return build_bundle(info, lines)


def build_bundle(info: SubmissionInfo | dict[str, Any], trajectories_jsonl: bytes) -> bytes:
    """The archive bytes for a ``submission.json`` and a ``trajectories.jsonl`` (deterministic output)."""
    meta = info.model_dump(mode="json") if isinstance(info, SubmissionInfo) else info
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for name, data in ((SUBMISSION_FILE, json.dumps(meta, indent=1, sort_keys=True).encode()),
                           (TRAJECTORIES_FILE, trajectories_jsonl)):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- reading
def read_bundle(fileobj: IO[bytes], *, max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED) -> Bundle:
    """Parse and schema-check a bundle from a seekable binary file.

    Member sizes are checked from the tar headers before anything is extracted, and the gzip stream is read
    incrementally (trajectories one line at a time), so neither a lying header nor a compression bomb can
    make this allocate more than the parsed trajectories themselves.
    """
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    fileobj.seek(0)
    meta: bytes | None = None
    trajectories: list[Trajectory] | None = None
    lines_digest = hashlib.sha256()
    total = 0
    try:
        with tarfile.open(fileobj=fileobj, mode="r:gz") as tar:
            for member in tar:
                if member.name not in (SUBMISSION_FILE, TRAJECTORIES_FILE) or not member.isfile():
                    raise BundleError("bad_bundle", f"unexpected archive member {member.name!r}; a bundle holds "
                                                    f"only {SUBMISSION_FILE} and {TRAJECTORIES_FILE}")
                if (meta if member.name == SUBMISSION_FILE else trajectories) is not None:
                    raise BundleError("bad_bundle", f"archive member {member.name!r} appears twice")
                total += member.size
                if total > max_uncompressed:
                    raise BundleTooLargeError(f"the bundle expands to more than {max_uncompressed} bytes")
                extracted = tar.extractfile(member)
                assert extracted is not None
                if member.name == SUBMISSION_FILE:
                    meta = extracted.read(member.size)
                else:
                    trajectories = _read_trajectories(extracted, lines_digest)
    except (tarfile.TarError, EOFError, OSError, gzip.BadGzipFile) as exc:
        raise BundleError("bad_bundle", f"not a gzip-compressed tar archive ({exc})") from None
    for name, part in ((SUBMISSION_FILE, meta), (TRAJECTORIES_FILE, trajectories)):
        if part is None:
            raise BundleError("bad_bundle", f"the bundle has no {name}")
    assert meta is not None and trajectories is not None
    try:
        info = SubmissionInfo.model_validate_json(meta)
    except ValidationError as exc:
        raise BundleError("schema", f"{SUBMISSION_FILE}: {_first_error(exc)}") from None
    if lines_digest.hexdigest() != info.trajectories_sha256:
        raise BundleError("bad_bundle", f"{TRAJECTORIES_FILE} does not match trajectories_sha256 in "
                                        f"{SUBMISSION_FILE}")
    if len(trajectories) != info.n_trajectories:
        raise BundleError("schema", f"{SUBMISSION_FILE} claims {info.n_trajectories} trajectories but "
                                    f"{TRAJECTORIES_FILE} holds {len(trajectories)}")
    return Bundle(info=info, trajectories=trajectories, sha256=digest.hexdigest())


def _read_trajectories(stream: IO[bytes], digest: Any) -> list[Trajectory]:
    out = []
    for lineno, line in enumerate(stream, start=1):
        digest.update(line)
        if not line.strip():
            continue
        try:
            out.append(Trajectory.model_validate_json(line))
        except ValidationError as exc:
            raise BundleError("schema", f"{TRAJECTORIES_FILE}:{lineno}: {_first_error(exc)}") from None
    return out


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "(document)"
    return f"field '{where}': {err['msg']}"
