"""Gymnasium spaces for chat: observations are lists of message dicts, actions are assistant messages.

Gymnasium needs declared spaces (``check_env`` samples actions from them); these accept the JSON form of
``Message`` so that any trainer can pass plain dicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.spaces import Space

_ROLES = ("system", "user", "assistant", "tool")
_WORDS = ("hello", "answer", "42", "tool", "the", "result", "is", "done", "ok", "please")


def _is_message(x: Any) -> bool:
    return (isinstance(x, dict) and x.get("role") in _ROLES and isinstance(x.get("content", ""), str))


class MessagesSpace(Space[list]):
    """A list of chat messages (dicts with ``role`` and ``content``, plus tool fields)."""

    def __init__(self, seed: int | None = None):
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def contains(self, x: Any) -> bool:
        return isinstance(x, list) and all(_is_message(m) for m in x)

    def sample(self, mask: Any = None, probability: Any = None) -> list:
        n = int(self.np_random.integers(1, 3))
        return [{"role": "user", "content": _random_text(self.np_random)} for _ in range(n)]

    def __repr__(self) -> str:
        return "MessagesSpace()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MessagesSpace)


class AssistantMessageSpace(Space[dict]):
    """One assistant message: text and/or tool calls. Raw strings and ``Message`` objects are accepted too."""

    def __init__(self, seed: int | None = None):
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def contains(self, x: Any) -> bool:
        from agentgym.types import Message

        if isinstance(x, str | Message):
            return True
        return isinstance(x, dict) and x.get("role", "assistant") == "assistant"

    def sample(self, mask: Any = None, probability: Any = None) -> dict:
        return {"role": "assistant", "content": _random_text(self.np_random)}

    def __repr__(self) -> str:
        return "AssistantMessageSpace()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssistantMessageSpace)


def _random_text(rng: np.random.Generator) -> str:
    return " ".join(str(rng.choice(_WORDS)) for _ in range(int(rng.integers(1, 6))))
