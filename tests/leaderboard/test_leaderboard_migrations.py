"""The alembic migrations build exactly the schema the ORM models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from agentgym.leaderboard import db
from agentgym.leaderboard.models import Base


def test_migrations_match_the_models_and_are_idempotent(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        db.migrate(engine)
        db.migrate(engine)  # a restart re-runs it: must be a no-op
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() == db.head_revision() == "0001"
            assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(engine).get_table_names()) >= {"submitters", "submissions", "submission_bundles"}
    finally:
        engine.dispose()


def test_bare_paths_and_plain_postgres_urls_are_accepted() -> None:
    assert db.normalise_url("lb.db").startswith("sqlite:////")
    assert db.normalise_url("postgresql://u:p@127.0.0.1/x") == "postgresql+psycopg://u:p@127.0.0.1/x"
    assert db.normalise_url("sqlite:///x.db") == "sqlite:///x.db"
