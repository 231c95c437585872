"""The ``scripted`` policy: plays a fixed list of assistant messages, the same in every episode.

Useful for tests and demos of an env's reactions. Each entry is raw model text (``<tool_call>`` blocks are
parsed, exactly as for a text-only model), an OpenAI-style message dict, or a ``Message``. After the last
entry it keeps answering ``final`` (default: an empty message, which most envs take as the final answer).

    make_policy("scripted", messages=['<tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>',
                                      "The answer is 3."])
"""

from __future__ import annotations

from typing import Any

from agentgym.env import to_message
from agentgym.errors import ConfigError, InvalidActionError
from agentgym.policies.base import Observation, Policy, PolicyOutput
from agentgym.policies.chat import response_message
from agentgym.types import Message, Task


class ScriptedPolicy(Policy):
    name = "scripted"

    def __init__(self, messages: list[str | dict[str, Any] | Message], final: str = ""):
        try:
            self.script = [response_message({"content": m}) if isinstance(m, str) else to_message(m)
                           for m in messages]
        except InvalidActionError as exc:
            raise ConfigError(f"scripted policy: {exc}") from exc
        self.final = Message.assistant(final)
        self._turns: dict[str, int] = {}

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "messages": [m.model_dump(mode="json") for m in self.script],
                "final": self.final.content}

    async def begin(self, episode_id: str, task: Task, seed: int, env: Any = None) -> None:
        self._turns[episode_id] = 0

    async def act(self, observation: Observation) -> PolicyOutput:
        i = self._turns.get(observation.episode_id, 0)
        self._turns[observation.episode_id] = i + 1
        return PolicyOutput(self.script[i] if i < len(self.script) else self.final)

    async def end(self, episode_id: str) -> None:
        self._turns.pop(episode_id, None)
