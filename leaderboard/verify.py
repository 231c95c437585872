"""Verifying a submission: nothing a submitter claims is taken on trust.

The checks, in order, each with the reason code a rejection carries:

* ``unknown_env`` / ``env_version_mismatch`` — the env must be installed here, at the submitted version,
  because its scorer is what re-scores the run;
* ``task_set_hash_mismatch`` — the claimed task-set hash must equal the hash of the split as this server has
  it, so results are tied to the exact tasks;
* ``task_mismatch`` / ``unknown_task`` — every trajectory must carry its task exactly as the split has it
  (a trajectory alone is enough to re-score it, so an edited ``gold`` would otherwise fool the scorer);
* ``duplicate_episodes`` / ``missing_episodes`` / ``extra_episodes`` — every task of the split appears exactly
  ``samples`` times, once per sample index ``0..samples-1``: nothing dropped, nothing repeated, nothing added;
* ``infra_errors`` — no episode may have ended in an infrastructure error (resume the run first: relabelling
  failures as infra errors would otherwise drop them from the scores);
* ``seed_mismatch`` / ``max_turns_exceeded`` — each episode ran with the seed the runner derives from the
  run seed, task and sample, and within the harness's turn limit;
* ``rubric_mismatch`` — when the harness records its rubric hash, it must be the rubric used here;
* ``score_mismatch`` — every trajectory is re-scored with the evaluators and the run's scores recomputed;
  any claimed metric, rubric score or run score that differs is a rejection, naming the first differences.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from agentgym.env import derive_seed
from agentgym.errors import AgentGymError, UnknownEnvError
from agentgym.leaderboard.bundle import Bundle
from agentgym.types import Trajectory, canonical_json

#: Relative and absolute tolerance when comparing claimed and recomputed numbers (JSON round trips).
TOLERANCE = 1e-9
_MAX_LISTED = 5


class SubmissionRejected(AgentGymError, ValueError):
    """A bundle that failed verification. ``reason`` is a short code, ``message`` says what was wrong."""

    def __init__(self, reason: str, message: str):
        self.reason, self.message = reason, message
        super().__init__(f"{reason}: {message}")


@dataclass
class Verified:
    """The server's own view of a submission: recomputed scores and re-scored trajectories."""

    scores: dict[str, Any]
    trajectories: list[Trajectory]
    rubric: str
    rubric_hash: str


def verify_bundle(bundle: Bundle) -> Verified:
    """Run every check in the module docstring; raise :class:`SubmissionRejected` on the first failure."""
    from agentgym.evaluators import rubric_for, score_trajectory
    from agentgym.registry import env_class
    from agentgym.runner.engine import rubric_info
    from agentgym.runner.metrics import compute_scores

    info = bundle.info
    try:
        cls = env_class(info.env)
    except UnknownEnvError as exc:
        raise SubmissionRejected("unknown_env", str(exc)) from None
    if info.env_version != cls.version:
        raise SubmissionRejected("env_version_mismatch", f"the bundle was run on {info.env} "
                                 f"{info.env_version}; this leaderboard scores {info.env} {cls.version}")
    try:
        tasks = cls.load_split(info.split)
    except (AgentGymError, FileNotFoundError) as exc:
        raise SubmissionRejected("unknown_split", str(exc)) from None
    env = cls(split=info.split, tasks=tasks)
    if info.task_set_hash != env.task_set_hash:
        raise SubmissionRejected("task_set_hash_mismatch", f"the bundle's task-set hash {info.task_set_hash[:12]}… "
                                 f"is not the hash of {info.env}/{info.split} ({env.task_set_hash[:12]}…); "
                                 "rerun on the current task files")
    _check_episodes(bundle.trajectories, {t.id: t for t in tasks}, info.env, cls.version, info.harness.samples)
    _check_harness(bundle)

    rubric = rubric_for(cls)
    rubric_id = rubric_info(rubric)  # {"name", "hash"}, as the runner records it in the manifest
    claimed_hash = info.harness.rubric.get("hash")
    if claimed_hash and claimed_hash != rubric_id["hash"]:
        raise SubmissionRejected("rubric_mismatch", f"the run was scored with rubric "
                                 f"{info.harness.rubric.get('name')!r} ({str(claimed_hash)[:12]}…); this "
                                 f"leaderboard scores {info.env} with rubric {rubric_id['name']!r} "
                                 f"({str(rubric_id['hash'])[:12]}…)")
    rescored = [score_trajectory(t, rubric) for t in bundle.trajectories]
    diffs: list[str] = []
    for claimed, ours in zip(bundle.trajectories, rescored):
        for part in ("metrics", "scores"):
            diffs += [f"trajectory {claimed.id}: {d}" for d in
                      _differences(getattr(claimed, part), getattr(ours, part), part)]
        if len(diffs) >= _MAX_LISTED:
            break
    if not diffs:
        scores = compute_scores(rescored, cls, info.harness.samples)
        diffs = _differences(info.scores, _json_safe(scores), "scores", only_expected=True)
    if diffs:
        raise SubmissionRejected("score_mismatch", "claimed scores differ from re-scoring: " +
                                 "; ".join(diffs[:_MAX_LISTED]) + (" …" if len(diffs) > _MAX_LISTED else ""))
    return Verified(scores=_json_safe(scores), trajectories=rescored, rubric=str(rubric_id["name"] or ""),
                    rubric_hash=str(rubric_id["hash"] or ""))


def _check_episodes(trajectories: list[Trajectory], tasks: dict[str, Any], env: str, version: str,
                    samples: int) -> None:
    ids = Counter(t.id for t in trajectories)
    repeated_ids = [i for i, n in ids.items() if n > 1]
    if repeated_ids:
        raise SubmissionRejected("duplicate_episodes", f"episode id(s) {', '.join(sorted(repeated_ids)[:5])} "
                                 "appear more than once")
    seen: Counter[tuple[str, int]] = Counter()
    for t in trajectories:
        if t.env != env:
            raise SubmissionRejected("task_mismatch", f"trajectory {t.id} is from env {t.env!r}, not {env!r}")
        if t.env_version != version:
            raise SubmissionRejected("env_version_mismatch", f"trajectory {t.id} was run on {env} "
                                     f"{t.env_version}; this leaderboard scores {env} {version}")
        gold = tasks.get(t.task.id)
        if gold is None:
            raise SubmissionRejected("unknown_task", f"trajectory {t.id} is for task {t.task.id!r}, "
                                     "which is not in the split")
        if canonical_json(t.task.model_dump(mode="json")) != canonical_json(gold.model_dump(mode="json")):
            raise SubmissionRejected("task_mismatch", f"trajectory {t.id} carries task {t.task.id} with content "
                                     "that differs from the split's task (edited gold or world?)")
        if not 0 <= t.sample < samples:
            raise SubmissionRejected("extra_episodes" if t.sample >= samples else "schema",
                                     f"trajectory {t.id} has sample index {t.sample}, outside 0..{samples - 1}")
        seen[(t.task.id, t.sample)] += 1
    duplicated = sorted(f"{task}#{s}" for (task, s), n in seen.items() if n > 1)
    if duplicated:
        raise SubmissionRejected("duplicate_episodes", f"{len(duplicated)} episode(s) appear more than once, "
                                 f"e.g. {', '.join(duplicated[:5])}")
    missing = sorted(f"{task}#{s}" for task in tasks for s in range(samples) if (task, s) not in seen)
    if missing:
        raise SubmissionRejected("missing_episodes", f"{len(missing)} of {len(tasks) * samples} episodes are "
                                 f"missing (every task must appear {samples} time(s)), e.g. "
                                 f"{', '.join(missing[:5])}")


def _check_harness(bundle: Bundle) -> None:
    harness = bundle.info.harness
    infra = [t.id for t in bundle.trajectories if t.status == "infra_error"]
    if infra:
        raise SubmissionRejected("infra_errors", f"{len(infra)} episode(s) ended in infrastructure errors "
                                 f"(e.g. {', '.join(infra[:5])}); resume the run until none remain")
    for t in bundle.trajectories:
        expected = derive_seed(harness.seed, t.task.id, t.sample)
        if t.seed != expected:
            raise SubmissionRejected("seed_mismatch", f"trajectory {t.id} ran with seed {t.seed}, not the seed "
                                     f"{expected} derived from run seed {harness.seed}, task and sample")
        if harness.max_turns is not None and len(t.steps) > harness.max_turns:
            raise SubmissionRejected("max_turns_exceeded", f"trajectory {t.id} has {len(t.steps)} turns; "
                                     f"the harness claims max_turns={harness.max_turns}")


def _differences(claimed: Any, ours: Any, path: str, *, only_expected: bool = False) -> list[str]:
    """Where ``claimed`` differs from ``ours``. With ``only_expected``, keys ``ours`` lacks are ignored
    (a newer harness may write extra informational keys into scores.json)."""
    if claimed == ours and type(claimed) is type(ours):  # the common, honest case: no walk needed
        return []
    if isinstance(ours, dict):
        if not isinstance(claimed, dict):
            return [f"{path} should be an object"]
        out: list[str] = []
        keys = set(ours) if only_expected else set(ours) | set(claimed)
        for key in sorted(keys, key=str):
            if key not in claimed:
                out.append(f"{path}.{key} is missing")
            elif key not in ours:
                out.append(f"{path}.{key} is not produced by re-scoring")
            else:
                out += _differences(claimed[key], ours[key], f"{path}.{key}", only_expected=only_expected)
        return out
    if isinstance(ours, list):
        if not isinstance(claimed, list) or len(claimed) != len(ours):
            return [f"{path}: claimed {_short(claimed)}, re-scored {_short(ours)}"]
        return [d for i, (c, o) in enumerate(zip(claimed, ours))
                for d in _differences(c, o, f"{path}[{i}]", only_expected=only_expected)]
    if _is_number(ours) and _is_number(claimed):
        if math.isclose(float(claimed), float(ours), rel_tol=TOLERANCE, abs_tol=TOLERANCE):
            return []
    elif _json_safe(claimed) == _json_safe(ours):
        return []
    return [f"{path}: claimed {_short(claimed)}, re-scored {_short(ours)}"]


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _short(x: Any) -> str:
    text = canonical_json(x)
    return text if len(text) <= 60 else text[:57] + "…"


def _json_safe(x: Any) -> Any:
    """NaN and infinities become ``None`` (what they turn into in JSON columns and on the wire)."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    return x
