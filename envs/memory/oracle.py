"""Reference assistants for the memory env, all keeping their notes with the memory tools in the sandbox.

``memory="perfect"`` (the oracle) writes every exposed state with ``memory_write`` as soon as a session
reveals it, reads its notes back with ``memory_search`` before answering (reading again when the result is
not exactly what it wrote, e.g. truncated or padded by noise) and answers from them: it reaches a
normalised memory score of 1.0. The other modes are
baselines that show the metrics and the diagnosis work:

- ``none``: keeps no notes and answers every question with "I don't remember" (a random choice);
- ``first``: stores only the first value it hears for each variable (updates are never written, so
  errors are *write* failures);
- ``recent:K``: keeps only the K most recently written notes, deleting older ones with ``memory_delete``
  (variables written correctly and later evicted are *read* failures).

"Perfect extraction" is assumed: the oracle knows which states a session exposes from the task record
(the scripted user says them verbatim anyway), so only the memory policy differs between modes. It finds
which prompt a user message is by its content (not by counting), so injected extra user turns (noise) or
reworded messages do not desynchronise it; what it cannot place it asks to have repeated. A note counts as
written once its call succeeded; failed calls are retried.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from agentgym.env import latest_tool_results
from agentgym.types import Message, Task, ToolCall

from agentgym.envs.memory.record import UserRecord
from agentgym.envs.memory.simulator import FOLLOW_UPS, Prompt, build_script

MODES = ("perfect", "none", "first")
MAX_RETRIES = 20
_TOKEN = re.compile(r"[a-z0-9]+")


def _tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text.lower()))


class MemoryOracle:
    def __init__(self, task: Task, *, memory: str = "perfect", script_options: dict[str, Any] | None = None):
        if memory not in MODES and not memory.startswith("recent:"):
            raise ValueError(f"unknown memory mode {memory!r}; choose perfect, none, first or recent:K")
        self.mode = memory
        self.capacity = int(memory.split(":", 1)[1]) if memory.startswith("recent:") else None
        self.record = UserRecord.model_validate(task.user)
        self.required = self.record.required_variables()
        self.script = build_script(self.record, **(script_options or {}))
        self.follow_ups = [_tokens(t) for t in FOLLOW_UPS]
        self._signatures: dict[tuple[str, int, int, int], set[str] | None] = {}
        self.idx = -1  # the script prompt the latest user message was
        self.notes: dict[str, str] = {}  # what the memory tools hold (successful writes and deletes)
        self.order: list[str] = []  # keys in write order (first / recent:K)
        self.calls: dict[str, ToolCall] = {}
        self.retries = 0
        self.n_calls = 0
        self.fresh = False  # notes read back since the last write

    def act(self, messages: Sequence[Message]) -> Message:
        last = messages[-1]
        if last.role == "user":
            placed = self._locate(last.content)
            if placed is None:  # off-topic or unreadable: ask again, and restate any pending answer
                current = self.script[self.idx] if self.idx >= 0 else None
                restated = self._answer(current).content if current and current.kind != "session" else ""
                return Message.assistant(f"Sorry, I didn't quite catch that. Could you say it again? {restated}")
            self.idx = placed
            return self._handle(self.script[placed])
        if last.role == "tool":
            failed = []
            for m in latest_tool_results(messages):
                call = self.calls.get(m.tool_call_id or "")
                if call is None:
                    continue
                if m.error and not (call.name == "memory_delete" and m.error == "tool_error"):
                    failed.append(call)  # a delete that finds nothing already happened
                elif call.name == "memory_search":
                    if self._read_back(m.content):
                        self.fresh = True
                    else:  # a padded, truncated or rewritten read: read again
                        failed.append(call)
                elif call.name == "memory_write":
                    self.notes[call.arguments["key"]] = call.arguments["value"]
                elif call.name == "memory_delete":
                    self.notes.pop(call.arguments["key"], None)
            if failed and self.retries < MAX_RETRIES:  # transient failure (e.g. injected noise): run them again
                self.retries += 1
                return self._tools([(c.name, c.arguments) for c in failed], retry=True)
            if any(c.name == "memory_search" for c in failed):
                self.fresh = True  # gave up reading back: answer from what was written
        return self._answer(self.script[max(self.idx, 0)])

    def _read_back(self, content: str) -> bool:
        """Whether a ``memory_search`` result is exactly the notes written (else it was tampered with)."""
        try:
            found = {n["key"]: n["value"] for n in json.loads(content)}
        except (ValueError, TypeError, KeyError):
            return False
        return found == self.notes

    # ------------------------------------------------------------------ where are we in the script
    def _signature(self, prompt: Prompt) -> set[str] | None:
        key = (prompt.kind, prompt.period if prompt.kind == "session" else 0, prompt.index, prompt.round)
        if key not in self._signatures:
            self._signatures[key] = self._make_signature(prompt)
        return self._signatures[key]

    def _make_signature(self, prompt: Prompt) -> set[str] | None:
        rec = self.record
        period = rec.periods[prompt.period]
        if prompt.kind == "session":
            session = period.sessions[prompt.index]
            if prompt.round == 0:
                return _tokens(session.query)
            users = [m.get("content", "") for m in session.messages if m.get("role") == "user"]
            return _tokens(users[prompt.round]) if prompt.round < len(users) else None
        if prompt.kind == "probe":
            var = self.required[prompt.index]
            return _tokens(var) | _tokens(" ".join(rec.state_schema[var])) | {"current"}
        qa = rec.qas[prompt.index]
        sig = _tokens(qa.query) | _tokens(" ".join(c.answer for c in qa.answer_choices))
        return sig | {"take", "given"} if prompt.kind == "upper" else sig

    def _locate(self, text: str) -> int | None:
        """The script index of a user message: the best-matching prompt near the current one."""
        words = _tokens(text)
        is_follow_up = any(len(f & words) >= 0.8 * len(f) for f in self.follow_ups)
        window = [j for j in (*range(self.idx + 1, self.idx + 5), self.idx) if 0 <= j < len(self.script)]
        best, best_score = None, 0.0
        for j in window:
            prompt = self.script[j]
            sig = self._signature(prompt)
            if sig is None:  # a follow-up round has no content of its own: only the next or current one
                score = 0.9 if is_follow_up and j in (self.idx, self.idx + 1) else 0.0
            else:
                score = len(sig & words) / len(sig)
                if prompt.kind == "question" and {"take", "given"} <= words:
                    score -= 0.2
            if score > best_score + 1e-9:
                best, best_score = j, score
        if best_score >= 0.5:
            return best
        nxt = self.idx + 1
        if nxt < len(self.script) and self._signature(self.script[nxt]) is None:
            return nxt  # an unscripted follow-up round (e.g. written by the LLM user)
        return None

    # ------------------------------------------------------------------ decisions
    def _handle(self, prompt: Prompt) -> Message:
        if prompt.kind == "session" and prompt.round == 0 and self.mode != "none":
            calls = self._writes(self.record.periods[prompt.period].sessions[prompt.index].exposed_states)
            if calls:
                self.fresh = False
                return self._tools(calls)
        if prompt.kind != "session" and self.mode != "none" and not self.fresh:
            return self._tools([("memory_search", {"query": "", "limit": 500})])  # read the notes back
        return self._answer(prompt)

    def _writes(self, exposed: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
        calls: list[tuple[str, dict[str, Any]]] = []
        for key, value in exposed.items():
            if self.mode == "first" and key in self.order:
                continue
            if key in self.order:
                self.order.remove(key)
            self.order.append(key)
            calls.append(("memory_write", {"key": key, "value": value}))
        if self.capacity is not None:
            while len(self.order) > self.capacity:
                calls.append(("memory_delete", {"key": self.order.pop(0)}))
        return calls

    def _answer(self, prompt: Prompt) -> Message:
        if prompt.kind == "session":
            return Message.assistant("Thanks for telling me. Here are a few thoughts that fit your situation.")
        if prompt.kind == "probe":
            var = self.required[prompt.index]
            values = self.record.state_schema[var]
            known = self.notes.get(var)
            return self._choice(values.index(known) if known in values else None)
        qa = self.record.qas[prompt.index]
        if prompt.kind == "upper":  # the prompt states the gold values; read them as given
            state = [self.record.periods[prompt.period].state[k] for k in qa.required_info]
        else:
            state = [self.notes.get(k) for k in qa.required_info]
        match = next((i for i, c in enumerate(qa.answer_choices) if c.state == state), None)
        return self._choice(match)

    @staticmethod
    def _choice(index: int | None) -> Message:
        if index is None:
            return Message.assistant("I'm sorry, I don't remember enough to choose.")
        return Message.assistant(json.dumps({"answer": index + 1}))

    def _tools(self, calls: list[tuple[str, dict[str, Any]]], retry: bool = False) -> Message:
        if not retry:
            self.retries = 0
        out = []
        self.calls = {}  # only the latest batch can need a retry
        for name, args in calls:
            self.n_calls += 1
            call = ToolCall(id=f"mem_{self.n_calls}", name=name, arguments=args)
            self.calls[call.id] = call
            out.append(call)
        return Message.assistant("", out)
