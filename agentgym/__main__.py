"""``python -m agentgym``: the same as the ``agentgym`` command."""

from agentgym.cli import app

app()
