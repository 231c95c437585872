"""``agentgym view``: browse run directories' trajectories in a local web page."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import typer

from agentgym.cli.common import console, user_errors
from agentgym.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command("view")(view)


def view(runs: list[Path] = typer.Argument(..., help="One or more run directories (two or more can be compared)."),
         port: int = typer.Option(8765, help="Port on 127.0.0.1 (0 picks a free one)."),
         no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a web browser.")) -> None:
    """Serve a local page listing the runs' episodes (filter by success, category, error kind, noise) with a
    turn-by-turn timeline per episode and side-by-side comparison of two runs on the same task.

    Blocks until Ctrl-C. Examples:
      agentgym view runs/calc-oracle
      agentgym view runs/a runs/b --port 9000 --no-browser
    """
    from agentgym.viewer import ViewerServer

    with user_errors():
        try:
            viewer = ViewerServer(list(runs), port=port)
        except OSError as exc:
            raise ConfigError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); pick another --port") from None
    n = sum(len(r.episodes) for r in viewer.runs.runs)
    console.print(f"agentgym viewer: {n} episodes from {len(runs)} run(s) at [bold]{viewer.url}[/] (Ctrl-C to stop)",
                  soft_wrap=True)
    if not no_browser:
        webbrowser.open(viewer.url)
    try:
        viewer.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        viewer.httpd.server_close()
