"""Reading and writing leaderboard data. Every public function opens its own short transaction, so the
HTTP layer and the admin CLI share one implementation and concurrent uploads stay consistent."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from agentgym.errors import AgentGymError, ConfigError
from agentgym.leaderboard.auth import hash_token, new_token
from agentgym.leaderboard.bundle import Bundle
from agentgym.leaderboard.models import Submission, SubmissionBundle, Submitter
from agentgym.leaderboard.verify import Verified

Sessions = sessionmaker[Session]


class DuplicateSubmissionError(AgentGymError, ValueError):
    def __init__(self, existing_id: str):
        self.existing_id = existing_id
        super().__init__(f"this exact bundle was already submitted as {existing_id}")


class SubmissionNotFoundError(AgentGymError, KeyError):
    def __init__(self, submission_id: str):
        super().__init__(f"no submission {submission_id!r}")

    def __str__(self) -> str:
        return self.args[0]


def create_submitter(sessions: Sessions, name: str) -> str:
    """Add a submitter and return their API token (only its hash is stored: show it once)."""
    token = new_token()
    with sessions.begin() as s:
        if s.scalar(select(Submitter.id).where(Submitter.name == name)) is not None:
            raise ConfigError(f"a submitter named {name!r} already exists")
        s.add(Submitter(name=name, token_hash=hash_token(token)))
    return token


def authenticate(sessions: Sessions, token: str) -> Submitter | None:
    with sessions.begin() as s:
        return s.scalar(select(Submitter).where(Submitter.token_hash == hash_token(token),
                                                Submitter.revoked.is_(False)))


def set_hidden(sessions: Sessions, submission_id: str, hidden: bool = True) -> None:
    with sessions.begin() as s:
        sub = s.get(Submission, submission_id)
        if sub is None:
            raise SubmissionNotFoundError(submission_id)
        sub.hidden = hidden


def add_submission(sessions: Sessions, submitter_id: int, bundle: Bundle, data: bytes,
                   verified: Verified) -> str:
    """Store a verified submission and its bundle in one transaction; return its id."""
    info, scores = bundle.info, verified.scores
    head = headline(scores, info.harness.samples)
    sub_id = uuid.uuid4().hex
    try:
        with sessions.begin() as s:
            s.add(Submission(
                id=sub_id, submitter_id=submitter_id, model=info.model, organisation=info.organisation,
                agentgym_version=info.agentgym_version, env=info.env, env_version=info.env_version,
                split=info.split, task_set_hash=info.task_set_hash, samples=info.harness.samples,
                n_episodes=len(bundle.trajectories), harness=info.harness.model_dump(mode="json"),
                rubric=verified.rubric, rubric_hash=verified.rubric_hash, scores=scores,
                success_rate=head["success_rate"], ci_low=head["ci"][0], ci_high=head["ci"][1],
                pass_hat_k=head["pass_hat_k"], rubric_total=head["rubric_total"], cost=head["cost"],
                bundle_sha256=bundle.sha256, hidden=False))
            s.flush()
            s.add(SubmissionBundle(submission_id=sub_id, data=data))
    except IntegrityError:
        with sessions.begin() as s:
            existing = s.scalar(select(Submission.id).where(Submission.bundle_sha256 == bundle.sha256))
        if existing is None:
            raise
        raise DuplicateSubmissionError(existing) from None
    return sub_id


def headline(scores: dict[str, Any], samples: int) -> dict[str, Any]:
    """The ranking figures from a scores.json-shaped dict (tolerant of absent optional parts)."""
    ci = (scores.get("ci95") or {}).get("success_rate") or [None, None]
    pass_hat = scores.get("pass_hat_k") or {}
    k_value = pass_hat.get(str(samples), pass_hat.get("k"))
    if k_value is None and samples == 1:
        k_value = scores.get("success_rate")
    rubric = scores.get("rubric") or {}
    return {"success_rate": float(scores.get("success_rate") or 0.0),
            "ci": [_num(ci[0]), _num(ci[1])] if len(ci) == 2 else [None, None],
            "pass_hat_k": _num(k_value), "rubric_total": _num(rubric.get("total")),
            "cost": _num((scores.get("usage") or {}).get("cost"))}


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def envs_summary(sessions: Sessions) -> list[dict[str, Any]]:
    """Envs and splits that have visible submissions, with counts."""
    with sessions.begin() as s:
        rows = s.execute(select(Submission.env, Submission.split, func.count(), func.max(Submission.success_rate))
                         .where(Submission.hidden.is_(False))
                         .group_by(Submission.env, Submission.split)
                         .order_by(Submission.env, Submission.split)).all()
    return [{"env": env, "split": split, "submissions": n, "best_success_rate": best}
            for env, split, n, best in rows]


def leaderboard(sessions: Sessions, env: str, split: str) -> list[dict[str, Any]]:
    """Visible submissions of one env/split, ranked by success rate, then rubric total, then age."""
    with sessions.begin() as s:
        subs = s.scalars(select(Submission)
                         .where(Submission.env == env, Submission.split == split, Submission.hidden.is_(False))
                         .order_by(Submission.success_rate.desc(), Submission.rubric_total.desc().nulls_last(),
                                   Submission.created_at, Submission.id)).all()
    rows, rank, previous = [], 0, None
    for position, sub in enumerate(subs, start=1):
        key = (sub.success_rate, sub.rubric_total)
        rank = rank if key == previous else position
        previous = key
        rows.append({"rank": rank, **summary(sub)})
    return rows


def splits_of(sessions: Sessions, env: str) -> list[str]:
    with sessions.begin() as s:
        return list(s.scalars(select(Submission.split).where(Submission.env == env, Submission.hidden.is_(False))
                              .distinct().order_by(Submission.split)))


def get_submission(sessions: Sessions, submission_id: str, *, include_hidden: bool = False) -> dict[str, Any]:
    with sessions.begin() as s:
        sub = s.get(Submission, submission_id)
        if sub is None or (sub.hidden and not include_hidden):
            raise SubmissionNotFoundError(submission_id)
        return {**summary(sub), "scores": sub.scores, "task_set_hash": sub.task_set_hash,
                "agentgym_version": sub.agentgym_version, "rubric_hash": sub.rubric_hash,
                "bundle_sha256": sub.bundle_sha256}


def get_bundle(sessions: Sessions, submission_id: str) -> bytes:
    with sessions.begin() as s:
        sub = s.get(Submission, submission_id)
        if sub is None or sub.hidden:
            raise SubmissionNotFoundError(submission_id)
        return s.get(SubmissionBundle, submission_id).data  # type: ignore[union-attr]


def count_submissions(sessions: Sessions) -> int:
    with sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(Submission)) or 0)


def summary(sub: Submission) -> dict[str, Any]:
    harness = sub.harness or {}
    policy = harness.get("policy") or {}
    return {
        "id": sub.id, "model": sub.model, "organisation": sub.organisation, "submitter": sub.submitter.name,
        "env": sub.env, "env_version": sub.env_version, "split": sub.split, "samples": sub.samples,
        "n_episodes": sub.n_episodes, "success_rate": sub.success_rate, "ci95": [sub.ci_low, sub.ci_high],
        "pass_hat_k": sub.pass_hat_k, "rubric": sub.rubric, "rubric_total": sub.rubric_total, "cost": sub.cost,
        "hidden": sub.hidden, "created_at": _utc(sub.created_at).isoformat(), "harness": harness,
        "harness_label": harness_label(policy, harness),
    }


def _utc(when: datetime) -> datetime:
    """SQLite drops the time zone of stored datetimes; every stored datetime is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def harness_label(policy: dict[str, Any], harness: dict[str, Any]) -> str:
    """One line describing the harness of a row, because the harness changes scores."""
    parts = [f"policy={policy.get('name', '?')}"]
    for key in ("temperature", "max_tokens"):
        if key in policy:
            parts.append(f"{key}={policy[key]}")
    parts.append(f"sandbox={harness.get('sandbox', '?')}")
    parts.append(f"noise={','.join(harness.get('noise') or []) or 'none'}")
    parts.append(f"k={harness.get('samples', '?')}")
    rubric = harness.get("rubric") or {}
    if rubric.get("name"):
        parts.append(f"rubric={rubric['name']}")
    if harness.get("max_turns"):
        parts.append(f"max_turns={harness['max_turns']}")
    return " ".join(parts)
