"""``agentgym leaderboard``: run the leaderboard server and administer it (tokens, hiding submissions).

The admin commands talk to the database directly (whoever can reach the database is the admin), so they
work whether or not a server is running.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer

from agentgym.cli.common import console, err_console, user_errors

leaderboard_app = typer.Typer(help="Run and administer the leaderboard server.", no_args_is_help=True)
token_app = typer.Typer(help="Manage submitters' API tokens.", no_args_is_help=True)
leaderboard_app.add_typer(token_app, name="token")

_DB_HELP = "Database URL (sqlite:///file.db, postgresql://user:pw@host/db) or a SQLite file path; " \
           "default: $AGENTGYM_LEADERBOARD_DB or ./agentgym-leaderboard.db."


def register(app: typer.Typer) -> None:
    app.add_typer(leaderboard_app, name="leaderboard")


def _sessions(db: str | None):  # type: ignore[no-untyped-def]
    from agentgym.leaderboard import db as dbmod

    with _database_errors(db):
        engine = dbmod.make_engine(db or dbmod.default_url())
        dbmod.migrate(engine)
    return dbmod.session_factory(engine)


@contextlib.contextmanager
def _database_errors(db: str | None) -> Iterator[None]:
    """An unreachable or unusable database is one clear line, not a traceback."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    try:
        yield
    except (OperationalError, ArgumentError) as exc:
        from sqlalchemy.engine import make_url

        from agentgym.leaderboard.db import default_url, normalise_url

        try:
            shown = make_url(normalise_url(db or default_url())).render_as_string(hide_password=True)
        except ArgumentError:
            shown = "(unparseable URL)"
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        err_console.print(f"[bold red]error:[/] cannot use database {shown}: {first}", highlight=False)
        raise typer.Exit(2) from None


@leaderboard_app.command("serve")
def serve(db: str = typer.Option(None, "--db", help=_DB_HELP),
          host: str = typer.Option("127.0.0.1", help="Interface to bind (loopback by default)."),
          port: int = typer.Option(8000, help="TCP port."),
          max_upload_mb: float = typer.Option(50.0, help="Largest accepted upload, in MiB (compressed)."),
          max_uncompressed_mb: float = typer.Option(512.0, help="Largest size an upload may expand to, in MiB."),
          rate_limit: str = typer.Option("60/hour", help="Uploads per token: N/second|minute|hour|day or N/SECONDS.")
          ) -> None:
    """Serve the leaderboard (migrating the database first).

    Example: agentgym leaderboard serve --db sqlite:///lb.db --port 8000
    """
    from agentgym.leaderboard import db as dbmod
    from agentgym.leaderboard.app import Settings, serve as run_server
    from agentgym.leaderboard.auth import parse_rate

    try:
        rate = parse_rate(rate_limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--rate-limit") from None
    settings = Settings(db_url=db or dbmod.default_url(), max_upload_bytes=int(max_upload_mb * 1024 * 1024),
                        max_uncompressed_bytes=int(max_uncompressed_mb * 1024 * 1024), rate_limit=rate)
    with user_errors(), _database_errors(db):
        run_server(settings, host=host, port=port)


@token_app.command("create")
def token_create(name: str = typer.Argument(..., help="The submitter's name (shown on their submissions)."),
                 db: str = typer.Option(None, "--db", help=_DB_HELP)) -> None:
    """Create a submitter and print their API token. It is shown only this once; only its hash is stored.

    Example: agentgym leaderboard token create acme-labs --db sqlite:///lb.db
    """
    from agentgym.leaderboard.store import create_submitter

    with user_errors():
        token = create_submitter(_sessions(db), name)
    err_console.print(f"created submitter {name!r}; store this token now, it will not be shown again:")
    console.print(token, highlight=False, soft_wrap=True)


@leaderboard_app.command("hide")
def hide(submission_id: str = typer.Argument(..., help="The submission's id (from its page URL)."),
         db: str = typer.Option(None, "--db", help=_DB_HELP),
         unhide: bool = typer.Option(False, "--unhide", help="Show a hidden submission again.")) -> None:
    """Hide a submission from every table, plot and page (it stays in the database).

    Example: agentgym leaderboard hide 3f2a... --db sqlite:///lb.db
    """
    from agentgym.leaderboard.store import SubmissionNotFoundError, set_hidden

    try:
        set_hidden(_sessions(db), submission_id, hidden=not unhide)
    except SubmissionNotFoundError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"{'unhid' if unhide else 'hid'} submission {submission_id}")
