"""Scripted CCTU players: the oracle and two reference behaviours used to validate the metrics.

* ``gold``: plays the task's gold plan turn by turn and gives the gold answer; satisfies every constraint.
* ``refine``: the gold plan, but its first answer ignores the response constraints; it fixes the answer
  after the feedback (counts for SR, not PSR).
* ``ignore``: ignores every constraint: one call per turn, a redundant repeat of the first call, and a
  chatty unformatted answer it never revises (SR and PSR near 0).

All modes retry a call whose result failed transiently (injected noise, a timeout, a tool error).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from agentgym.types import Message, Task, ToolCall
from agentgym.envs.cctu.generator import naive_answer

MODES = ("gold", "refine", "ignore")
RETRY = ("noise", "timeout", "tool_error", "infra", "sandbox")


class CCTUOracle:
    def __init__(self, task: Task, mode: str = "gold"):
        if mode not in MODES:
            raise ValueError(f"unknown oracle mode {mode!r}; choose one of {', '.join(MODES)}")
        self.mode = mode
        plan: list[list[dict[str, Any]]] = task.gold["plan"]
        if mode == "ignore":
            flat = [c for turn in plan for c in turn]
            plan = [[c] for c in flat[:1] + flat]
        self.plan = plan
        self.answer: str = task.gold["answer"]
        self.naive = naive_answer(task.gold["facts"])
        self.position = 0
        self.answers = 0
        self._ids = itertools.count()

    def act(self, messages: Sequence[Message]) -> Message:
        failed = self._failed_calls(messages)
        if failed:
            return self._message(failed)
        if self.position < len(self.plan):
            self.position += 1
            return self._message([(c["name"], c["arguments"]) for c in self.plan[self.position - 1]])
        self.answers += 1
        if self.mode == "ignore" or (self.mode == "refine" and self.answers == 1):
            return Message.assistant(self.naive)
        return Message.assistant(self.answer)

    def _message(self, calls: list[tuple[str, dict[str, Any]]]) -> Message:
        return Message.assistant("", [ToolCall(id=f"call_{next(self._ids)}", name=n, arguments=a)
                                      for n, a in calls])

    @staticmethod
    def _failed_calls(messages: Sequence[Message]) -> list[tuple[str, dict[str, Any]]]:
        """Calls of the last assistant turn whose results failed transiently (to be retried)."""
        tail = list(itertools.takewhile(lambda m: m.role == "tool", reversed(messages)))
        if not tail or len(tail) == len(messages):
            return []
        asked = {c.id: c for c in messages[-len(tail) - 1].tool_calls}
        return [(asked[m.tool_call_id].name, asked[m.tool_call_id].arguments)
                for m in reversed(tail) if m.error in RETRY and m.tool_call_id in asked]
