"""Initial schema: submitters, submissions, submission_bundles.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submitters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("submitter_id", sa.Integer(), sa.ForeignKey("submitters.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("agentgym_version", sa.String(50), nullable=False),
        sa.Column("env", sa.String(100), nullable=False),
        sa.Column("env_version", sa.String(50), nullable=False),
        sa.Column("split", sa.String(100), nullable=False),
        sa.Column("task_set_hash", sa.String(64), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("n_episodes", sa.Integer(), nullable=False),
        sa.Column("harness", sa.JSON(), nullable=False),
        sa.Column("rubric", sa.String(200), nullable=False),
        sa.Column("rubric_hash", sa.String(64), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("success_rate", sa.Float(), nullable=False),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("pass_hat_k", sa.Float(), nullable=True),
        sa.Column("rubric_total", sa.Float(), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("bundle_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_submissions_submitter_id", "submissions", ["submitter_id"])
    op.create_index("ix_submissions_env", "submissions", ["env"])
    op.create_table(
        "submission_bundles",
        sa.Column("submission_id", sa.String(32), sa.ForeignKey("submissions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("submission_bundles")
    op.drop_index("ix_submissions_env", table_name="submissions")
    op.drop_index("ix_submissions_submitter_id", table_name="submissions")
    op.drop_table("submissions")
    op.drop_table("submitters")
