"""The simulated user. The scripted, seeded simulator is the default: offline and reproducible.

A simulator sees only what its task allows it to know (``task.user``), never the gold data, and every
decision it makes is returned in ``UserTurn.info`` so that simulator behaviour can be audited per episode.
"""

from __future__ import annotations

import abc
import random
from dataclasses import dataclass, field
from typing import Any

from agentgym.types import Message, Task


@dataclass
class UserTurn:
    """The user's reply. ``done`` ends the episode (the user left, or is satisfied)."""

    message: Message | None
    done: bool = False
    info: dict[str, Any] = field(default_factory=dict)


class UserSimulator(abc.ABC):
    """Plays the user. ``reset`` starts an episode; ``respond`` answers the assistant's latest message."""

    def reset(self, task: Task, seed: int) -> None:
        self.task = task
        self.seed = seed
        self.rng = random.Random(seed)

    def opening(self) -> Message | None:
        """The first user message (default: the task's instruction)."""
        return Message.user(self.task.instruction) if self.task.instruction else None

    @abc.abstractmethod
    def respond(self, messages: list[Message]) -> UserTurn:
        """Reply to the conversation so far (the assistant spoke last)."""

    async def arespond(self, messages: list[Message]) -> UserTurn:
        return self.respond(messages)

    def state(self) -> dict[str, Any]:
        """The simulator's hidden state, for snapshots and auditing (JSON)."""
        return {"rng": list(self.rng.getstate()[1]), "rng_version": self.rng.getstate()[0]}

    def load_state(self, state: dict[str, Any]) -> None:
        self.rng.setstate((state["rng_version"], tuple(state["rng"]), None))


class ScriptedUser(UserSimulator):
    """A user that replies from a fixed script (``task.user["script"]``), then ends the conversation."""

    def reset(self, task: Task, seed: int) -> None:
        super().reset(task, seed)
        self.turn = 0

    def respond(self, messages: list[Message]) -> UserTurn:
        script: list[str] = self.task.user.get("script", [])
        if self.turn >= len(script):
            return UserTurn(None, done=True, info={"reason": "script exhausted"})
        text = script[self.turn]
        self.turn += 1
        return UserTurn(Message.user(text), info={"script_index": self.turn - 1})

    def state(self) -> dict[str, Any]:
        return {**super().state(), "turn": self.turn}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.turn = state["turn"]
