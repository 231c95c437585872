"""The policy protocol: something that plays the agent, one assistant message per call.

A policy is shared by every episode of a run; ``begin``/``end`` bracket one episode so that stateful
policies (an oracle that follows a plan, a replay) can keep per-episode state keyed by ``episode_id``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any

from agentgym.types import Message, Task, TokenData, Usage


@dataclass
class Observation:
    """What a policy sees at its turn: the whole conversation so far and the tools it may call."""

    episode_id: str
    messages: list[Message]
    tools: list[dict[str, Any]] = field(default_factory=list)
    turn: int = 0
    seed: int = 0


@dataclass
class PolicyOutput:
    """An assistant message plus what producing it cost (and, for RL, its tokens)."""

    message: Message
    usage: Usage = field(default_factory=Usage)
    tokens: TokenData | None = None


class Policy(abc.ABC):
    """Base class; implement ``act``. ``name`` and ``config()`` are recorded in the run manifest."""

    name: str = "policy"

    def config(self) -> dict[str, Any]:
        """The settings that determine this policy's behaviour (recorded for reproducibility)."""
        return {"name": self.name}

    async def begin(self, episode_id: str, task: Task, seed: int, env: Any = None) -> None:
        """Called before an episode's first ``act``."""

    @abc.abstractmethod
    async def act(self, observation: Observation) -> PolicyOutput: ...

    async def end(self, episode_id: str) -> None:
        """Called when an episode is over (also after a failure)."""

    async def aclose(self) -> None:
        """Release clients and connections."""
