"""``agentgym report`` and ``agentgym rescore``: look at runs, and score them again without any model."""

from __future__ import annotations

from pathlib import Path

import typer

from agentgym.cli.common import console, user_errors


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(runs: list[Path] = typer.Argument(..., help="One or more run directories (compared side by side)."),
           html: Path = typer.Option(None, "--html", help="Also write a self-contained HTML report here.")) -> None:
    """Show a run's scores (several runs: side by side); --html writes plots too.

    Examples:
      agentgym report runs/calc-oracle
      agentgym report runs/a runs/b --html report.html
    """
    from agentgym.runner.report import print_scores, write_html

    with user_errors():
        print_scores(runs, console=console)
        if html is not None:
            console.print(f"wrote {write_html(runs, html)}")
