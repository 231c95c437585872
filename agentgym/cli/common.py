"""Helpers shared by CLI commands: one console, and typed agentgym errors shown as one clear line."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from rich.console import Console

from agentgym.errors import AgentGymError

console = Console()
err_console = Console(stderr=True)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn expected errors (unknown env, bad file, bad option) into a message and exit code 2."""
    try:
        yield
    except (AgentGymError, FileNotFoundError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
