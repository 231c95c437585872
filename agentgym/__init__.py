"""agentgym: a gym and benchmark suite for multi-turn LLM agents.

    >>> import agentgym
    >>> env = agentgym.make("calculator", split="test")
    >>> obs, info = env.reset(seed=0)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from agentgym.env import AgentEnv, Turn, derive_seed
from agentgym.registry import env_class, list_envs, make, register
from agentgym.simulators import ScriptedUser, UserSimulator, UserTurn
from agentgym.tools import Tool, ToolSpec, tool
from agentgym.types import (
    Message,
    NoiseEvent,
    RunManifest,
    Step,
    Task,
    TokenData,
    ToolCall,
    ToolResult,
    Trajectory,
    Usage,
    Violation,
)
from agentgym.world import World, WorldSpec

try:
    __version__ = version("agentgym")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

from agentgym import registry as _registry

_registry.discover()  # registers every entry-point env with gymnasium as agentgym/<name>-v0

__all__ = [
    "AgentEnv", "Message", "NoiseEvent", "RunManifest", "ScriptedUser", "Step", "Task", "TokenData", "Tool",
    "ToolCall", "ToolResult", "ToolSpec", "Trajectory", "Turn", "Usage", "UserSimulator", "UserTurn",
    "Violation", "World", "WorldSpec", "__version__", "derive_seed", "env_class", "list_envs", "make",
    "register", "tool",
]
