"""The noise-aware oracle: retries noisy tool calls, asks for clarification, and hides the detours from
the env's own oracle. It proves tasks stay solvable under noise.

It reads the injections logged on each step (privileged information no real agent has), so it is a
solvability certificate, not a robustness baseline. The wrapped oracle sees the conversation as if no noise
had happened: noisy results replaced by their retried results, noisy user messages by their originals,
clarification exchanges removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentgym.env import AgentEnv, Oracle
from agentgym.types import Message, ToolCall


class NoiseAwareOracle:
    def __init__(self, inner: Oracle, env: AgentEnv):
        self.inner = inner
        self.env = env
        self.retries: dict[int, list[str]] = {}  # step index -> call ids it retried
        self.clarifications: set[int] = set()

    def act(self, messages: Sequence[Message]) -> Message:
        steps = self.env.steps
        if steps:
            last = steps[-1]
            noisy_ids = [e.call_id for e in last.noise if e.source == "tool" and e.call_id]
            if noisy_ids:
                calls = [c for c in last.action.tool_calls if c.id in noisy_ids]
                self.retries[len(steps)] = [c.id for c in calls]
                return Message.assistant("", [ToolCall(id=c.id, name=c.name, arguments=c.arguments) for c in calls])
            if last.info.get("user_noise_pending"):
                self.clarifications.add(len(steps))
                return Message.assistant("Sorry, I'm not sure I follow. Could you tell me exactly what you need?")
        return self.inner.act(self.clean_history())

    def clean_history(self) -> list[Message]:
        clean = list(self.env.initial_messages)
        position: dict[str, int] = {}  # call id -> index of its result in `clean`
        for step in self.env.steps:
            if step.index in self.retries:
                for msg in step.observation:
                    if msg.role == "tool" and msg.tool_call_id in position:
                        clean[position[msg.tool_call_id]] = msg
                continue
            if step.index in self.clarifications:
                continue  # the detour; its original is already in place below
            clean.append(step.action)
            originals = {e.injected: e.original for e in step.noise if e.source == "user"}
            for msg in step.observation:
                if msg.role == "tool":
                    position[msg.tool_call_id or ""] = len(clean)
                elif msg.role == "user" and msg.content in originals:
                    msg = Message.user(originals[msg.content])
                clean.append(msg)
        return clean


def wrap_oracle(oracle: Oracle, env: Any) -> Oracle:
    """Wrap an env's oracle when the env is noisy; otherwise return it unchanged."""
    base = env.unwrapped
    if base.tool_interceptors or base.user_interceptors:
        return NoiseAwareOracle(oracle, base)
    return oracle
