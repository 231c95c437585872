"""The ``agentgym`` command line. Each module in this package adds its commands through ``register(app)``,
so a feature's CLI lives next to nothing but itself."""

from __future__ import annotations

import importlib
import os
import pkgutil

import typer

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch litellm's price table at import

app = typer.Typer(
    name="agentgym",
    help="Evaluate LLM agents on multi-turn environments, collect RL rollouts, and submit to a leaderboard.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)

for _mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    _module = importlib.import_module(f"{__name__}.{_mod.name}")
    if hasattr(_module, "register"):
        _module.register(app)

__all__ = ["app"]
