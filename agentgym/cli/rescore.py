"""``agentgym rescore``: recompute a run's scores from its stored trajectories, calling no model."""

from __future__ import annotations

from pathlib import Path

import typer

from agentgym.cli.common import console, user_errors


def register(app: typer.Typer) -> None:
    app.command("rescore")(rescore)


def rescore(run: Path = typer.Argument(..., help="A run directory."),
            rubric: str = typer.Option(None, help="Score with this rubric (name or YAML path) instead of the "
                                                  "run's.")) -> None:
    """Re-apply the env's scorer and the rubric to every stored trajectory and rewrite scores.json.

    Example: agentgym rescore runs/calc-oracle
    """
    from agentgym.runner.report import print_scores
    from agentgym.runner.rescore import rescore as do_rescore

    with user_errors():
        do_rescore(run, rubric)
        print_scores([run], console=console)
