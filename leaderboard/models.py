"""The leaderboard's tables. The schema itself is owned by the alembic migrations in ``migrations/``;
these ORM classes must match the latest revision (a test compares them)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Submitter(Base):
    """Someone allowed to submit. Only the sha256 of their API token is stored."""

    __tablename__ = "submitters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Submission(Base):
    """An accepted, verified submission. The ranking columns are copies of fields of ``scores`` (the
    server's recomputation, never the submitter's claim) so that tables sort in SQL."""

    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    submitter_id: Mapped[int] = mapped_column(ForeignKey("submitters.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    model: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    agentgym_version: Mapped[str] = mapped_column(String(50))
    env: Mapped[str] = mapped_column(String(100), index=True)
    env_version: Mapped[str] = mapped_column(String(50))
    split: Mapped[str] = mapped_column(String(100))
    task_set_hash: Mapped[str] = mapped_column(String(64))
    samples: Mapped[int] = mapped_column(Integer)
    n_episodes: Mapped[int] = mapped_column(Integer)
    harness: Mapped[dict[str, Any]] = mapped_column(JSON)
    rubric: Mapped[str] = mapped_column(String(200), default="")
    rubric_hash: Mapped[str] = mapped_column(String(64), default="")
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    success_rate: Mapped[float] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    pass_hat_k: Mapped[float | None] = mapped_column(Float, nullable=True)
    rubric_total: Mapped[float | None] = mapped_column(Float, nullable=True)
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    bundle_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)

    submitter: Mapped[Submitter] = relationship(lazy="joined")


class SubmissionBundle(Base):
    """The uploaded archive, kept verbatim so a submission can be re-verified or downloaded later."""

    __tablename__ = "submission_bundles"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"),
                                               primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
