"""DuCA-style sales dialogue env (see README.md)."""

from agentgym.envs.sales.env import SalesEnv

__all__ = ["SalesEnv"]
