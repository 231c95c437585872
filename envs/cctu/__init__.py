"""CCTU: tool use under complex constraints (see README.md)."""

from agentgym.envs.cctu.env import CCTUEnv

__all__ = ["CCTUEnv"]
