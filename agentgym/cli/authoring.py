"""``agentgym new-env`` and ``agentgym validate``: write your own env, then prove it is sound."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from agentgym.cli.common import console, user_errors


def register(app: typer.Typer) -> None:
    app.command("new-env")(new_env)
    app.command("validate")(validate)


def new_env(name: str = typer.Argument(..., help="The env's name (lowercase, underscores)."),
            path: Path = typer.Option(Path("."), help="Folder to create the env project in."),
            install: bool = typer.Option(True, help="pip install -e the new project so agentgym finds it.")) -> None:
    """Scaffold a working env project (env, tools, simulated user, oracle, task generator, env card, tests).

    Example: agentgym new-env demo_env && agentgym validate demo_env
    """
    from agentgym.scaffold import scaffold

    with user_errors():
        root = scaffold(name, path, install=install)
    console.print(f"created [bold]{root}[/] — try: agentgym validate {name}; pytest {root / 'tests'}")


def validate(env: str = typer.Argument(..., help="Env name."),
             split: str = typer.Option("test", help="Split the oracle and determinism checks use.")) -> None:
    """Run the checks every env must pass: check_env, determinism, oracle solves every task, task files
    regenerate identically, valid tool schemas with descriptions, default rubric loads.

    Example: agentgym validate cctu
    """
    from agentgym.validate import validate as run_checks

    with user_errors():
        results = run_checks(env, split)
    table = Table(title=f"agentgym validate {env}")
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for r in results:
        table.add_row(r.name, "[green]PASS[/]" if r.ok else "[bold red]FAIL[/]", r.detail)
    console.print(table)
    if not all(r.ok for r in results):
        raise typer.Exit(1)
