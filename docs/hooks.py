"""mkdocs hooks: pages generated from the code at build time, so the docs can never drift from it.

* one page per env, from its env card ``envs/<name>/README.md`` (and a nav entry for each);
* the CLI reference, from the typer app (every command's help text, arguments and options).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def env_cards() -> dict[str, Path]:
    """Env name -> its card, for every env folder that has one."""
    return {p.parent.name: p for p in sorted((ROOT / "envs").glob("*/README.md"))}


def on_config(config: Any) -> Any:
    for i, item in enumerate(config["nav"]):
        if isinstance(item, dict) and "Environments" in item:
            pages = [{"Overview": "envs/index.md"}] + [{name: f"envs/{name}.md"} for name in env_cards()]
            config["nav"][i] = {"Environments": pages}
    return config


def on_files(files: Files, config: Any) -> Files:
    for name, card in env_cards().items():
        note = (f"\n\n---\n*This page is the env card `envs/{name}/README.md`, copied at build time.*\n")
        files.append(File.generated(config, f"envs/{name}.md", content=card.read_text() + note))
    files.append(File.generated(config, "cli.md", content=cli_reference()))
    return files


def cli_reference() -> str:
    """Markdown for every ``agentgym`` command, as typer's own doc generator writes it."""
    import typer
    from typer.cli import get_docs_for_click

    from agentgym.cli import app

    command = typer.main.get_command(app)
    ctx = typer.Context(command, info_name="agentgym")
    body = get_docs_for_click(obj=command, ctx=ctx, name="agentgym", title="CLI reference")
    intro = ("Generated at build time from the `agentgym` command's own help (`agentgym COMMAND --help` "
             "prints the same).\n\n")
    head, _, rest = body.partition("\n\n")
    return f"{head}\n\n{intro}{rest}"
