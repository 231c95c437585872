"""AMemGym long-horizon memory env (see README.md)."""

from agentgym.envs.memory.env import MemoryEnv

__all__ = ["MemoryEnv"]
