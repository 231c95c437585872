"""``agentgym envs`` and ``agentgym tasks``: what can be run, and the task data behind it."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from agentgym.cli.common import console, user_errors


def register(app: typer.Typer) -> None:
    app.command("envs")(envs)
    app.command("tasks")(tasks)


def tasks(target: str = typer.Argument(..., help="An env name, or 'generate' followed by an env name."),
          env: str = typer.Argument(None, help="With 'generate': the env whose task files to write."),
          split: list[str] = typer.Option(None, help="Split(s); default: test for listing, all for generate."),
          show: str = typer.Option(None, help="Print one task's full JSON."),
          limit: int = typer.Option(50, help="Rows to show."),
          check: bool = typer.Option(False, help="With 'generate': only check the files are current.")) -> None:
    """List an env's tasks, show one, or regenerate task files from the env's deterministic generator.

    Examples:
      agentgym tasks calculator --split test
      agentgym tasks calculator --show calc-test-0000
      agentgym tasks generate calculator [--check]
    """
    if target == "generate":
        if not env:
            raise typer.BadParameter("name the env to generate, e.g. `agentgym tasks generate calculator`")
        tasks_generate(env, split, check)
    else:
        tasks_list(target, (split or ["test"])[0], show, limit)


def envs() -> None:
    """List every registered env with its splits and task counts.

    Example: agentgym envs
    """
    from agentgym.registry import env_class, list_envs

    table = Table(title="agentgym envs")
    for col in ("env", "version", "gymnasium id", "splits (tasks)", "headline metrics"):
        table.add_column(col)
    for name in list_envs():
        with user_errors():
            cls = env_class(name)
        counts = []
        for split in cls.splits:
            path = cls.task_dir() / f"{split}.jsonl"
            counts.append(f"{split} ({sum(1 for _ in path.open()) if path.exists() else 'missing'})")
        table.add_row(name, cls.version, f"agentgym/{name}-v0", ", ".join(counts),
                      ", ".join(("success_rate", *(m for m in cls.headline_metrics if m != "success_rate"))))
    console.print(table)


def tasks_list(env: str, split: str, show: str | None, limit: int) -> None:
    from agentgym.registry import make

    with user_errors():
        e = make(env, split=split)
        if show:
            console.print_json(json.dumps(e.get_task(show).model_dump(mode="json")))
            return
        tasks = e.tasks
    table = Table(title=f"{env}/{split}: {len(tasks)} tasks")
    for col in ("id", "category", "instruction"):
        table.add_column(col)
    for t in tasks[:limit]:
        table.add_row(t.id, t.category or "", (t.instruction[:90] + "…") if len(t.instruction) > 90 else t.instruction)
    console.print(table)


def tasks_generate(env: str, split: list[str] | None, check: bool) -> None:
    from agentgym.registry import env_class
    from agentgym.taskstore import dump_tasks, write_tasks

    with user_errors():
        cls = env_class(env)
    stale = []
    for s in split or cls.splits:
        tasks = cls.generate_tasks(s)
        path = cls.task_dir() / f"{s}.jsonl"
        if check:
            if not path.exists() or path.read_bytes() != dump_tasks(tasks):
                stale.append(str(path))
            continue
        write_tasks(cls.task_dir(), s, tasks)
        console.print(f"wrote {len(tasks)} tasks to {path}")
    if check:
        if stale:
            console.print(f"[red]stale:[/] {', '.join(stale)}; run `agentgym tasks generate {env}`")
            raise typer.Exit(1)
        console.print(f"{env}: task files are up to date")
