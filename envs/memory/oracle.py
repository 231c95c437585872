"""Reference assistants for the memory env, all driven through the memory tools in the sandbox.

``memory="perfect"`` (the oracle) writes every exposed state to ``memory_write`` as soon as a session
reveals it, reads its notes back with ``memory_search`` before answering, and picks the choice whose
state matches its notes: it reaches a normalised memory score of 1.0. The other modes are baselines
that show the metrics and the diagnosis work:

- ``none``: keeps no notes and answers every question with "I don't remember" (a random choice);
- ``first``: stores only the first value it hears for each variable (updates are never written, so
  errors are *write* failures);
- ``recent:K``: keeps only the K most recently written notes, deleting older ones (variables written
  correctly and later evicted are *read* failures).

"Perfect extraction" is assumed: the oracle knows which states a session exposes from the task record
(the scripted user says them verbatim anyway), so only the memory policy differs between modes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agentgym.types import Message, Task, ToolCall

from agentgym.envs.memory.record import UserRecord
from agentgym.envs.memory.simulator import Prompt, build_script

MODES = ("perfect", "none", "first")


class MemoryOracle:
    def __init__(self, task: Task, *, memory: str = "perfect", script_options: dict[str, Any] | None = None):
        if memory not in MODES and not memory.startswith("recent:"):
            raise ValueError(f"unknown memory mode {memory!r}; choose perfect, none, first or recent:K")
        self.mode = memory
        self.capacity = int(memory.split(":", 1)[1]) if memory.startswith("recent:") else None
        self.record = UserRecord.model_validate(task.user)
        self.required = self.record.required_variables()
        self.script = build_script(self.record, **(script_options or {}))
        self.idx = -1  # index of the current user prompt in the script
        self.seen = 0  # messages already scanned
        self.view: dict[str, str] = {}  # notes as last read back from memory_search
        self.stale = True
        self.written: list[str] = []  # keys in write order (for first / recent:K)
        self.calls: dict[str, ToolCall] = {}
        self.n_calls = 0

    def act(self, messages: Sequence[Message]) -> Message:
        for m in messages[self.seen:]:
            if m.role == "user":
                self.idx += 1
        self.seen = len(messages)
        prompt = self.script[min(max(self.idx, 0), len(self.script) - 1)]
        last = messages[-1]
        if last.role != "tool":
            return self._handle(prompt)
        block = []
        for m in reversed(messages):
            if m.role != "tool":
                break
            block.append(m)
        failed = [self.calls[m.tool_call_id] for m in block if m.error and m.tool_call_id in self.calls]
        if failed:  # transient failure (e.g. injected noise): run the same calls again
            return self._tools([(c.name, c.arguments) for c in failed])
        for m in block:
            if m.name == "memory_search":
                self.view = {n["key"]: n["value"] for n in json.loads(m.content)}
        return self._answer(prompt)

    # ------------------------------------------------------------------ decisions
    def _handle(self, prompt: Prompt) -> Message:
        if prompt.kind == "session":
            if prompt.round == 0 and self.mode != "none":
                calls = self._writes(self.record.periods[prompt.period].sessions[prompt.index].exposed_states)
                if calls:
                    self.stale = True
                    return self._tools(calls)
            return self._answer(prompt)
        if self.mode != "none" and self.stale:
            self.stale = False
            return self._tools([("memory_search", {"query": "", "limit": 500})])
        return self._answer(prompt)

    def _writes(self, exposed: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
        calls: list[tuple[str, dict[str, Any]]] = []
        for key, value in exposed.items():
            if self.mode == "first" and key in self.written:
                continue
            if key in self.written:
                self.written.remove(key)
            self.written.append(key)
            calls.append(("memory_write", {"key": key, "value": value}))
        if self.capacity is not None:
            while len(self.written) > self.capacity:
                calls.append(("memory_delete", {"key": self.written.pop(0)}))
        return calls

    def _answer(self, prompt: Prompt) -> Message:
        if prompt.kind == "session":
            return Message.assistant("Thanks for telling me. Here are a few thoughts that fit your situation.")
        if prompt.kind == "probe":
            var = self.required[prompt.index]
            values = self.record.state_schema[var]
            known = self.view.get(var)
            return self._choice(values.index(known) if known in values else None)
        qa = self.record.qas[prompt.index]
        if prompt.kind == "upper":  # the prompt states the gold values; read them as given
            state = [self.record.periods[prompt.period].state[k] for k in qa.required_info]
        else:
            state = [self.view.get(k) for k in qa.required_info]
        match = next((i for i, c in enumerate(qa.answer_choices) if c.state == state), None)
        return self._choice(match)

    @staticmethod
    def _choice(index: int | None) -> Message:
        if index is None:
            return Message.assistant("I'm sorry, I don't remember enough to choose.")
        return Message.assistant(json.dumps({"answer": index + 1}))

    def _tools(self, calls: list[tuple[str, dict[str, Any]]]) -> Message:
        out = []
        self.calls = {}  # only the latest batch can need a retry
        for name, args in calls:
            self.n_calls += 1
            call = ToolCall(id=f"mem_{self.n_calls}", name=name, arguments=args)
            self.calls[call.id] = call
            out.append(call)
        return Message.assistant("", out)
