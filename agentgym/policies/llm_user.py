"""An LLM playing the user, through the same retried litellm layer as the litellm policy.

The simulator sees only its persona prompt (built by the env from what the task lets the user know, never
the gold data) and the visible conversation with roles flipped: the agent's words are its "user" turns,
its own earlier messages are its "assistant" turns. Tool traffic is hidden from it. When it writes the
stop token the conversation ends (text before the token, if any, is still sent).

    user = LLMUserSimulator("openai/gpt-4o-mini", persona_prompt, temperature=0.0)
"""

from __future__ import annotations

from typing import Any

from agentgym.policies.litellm_policy import LiteLLMCaller
from agentgym.simulators import UserSimulator, UserTurn
from agentgym.types import Message, Task

STOP_INSTRUCTIONS = ("\n\nYou are the user talking to an assistant. Reply with one short user message at a "
                     "time. When your goal is met, or you want to end the conversation, reply with {stop}.")


class LLMUserSimulator(UserSimulator):
    """``system_prompt`` is the persona; override ``persona(task)`` to build it from ``task.user``."""

    def __init__(self, model: str, system_prompt: str = "", *, base_url: str | None = None,
                 temperature: float = 0.0, stop_token: str = "###STOP###", **litellm_kwargs: Any):
        self.system_prompt, self.temperature, self.stop_token = system_prompt, temperature, stop_token
        self.caller = LiteLLMCaller(model, base_url=base_url, **litellm_kwargs)

    def persona(self, task: Task) -> str:
        """The simulator's system prompt for ``task`` (default: the fixed ``system_prompt``)."""
        return self.system_prompt

    def reset(self, task: Task, seed: int) -> None:
        super().reset(task, seed)
        self.turns = 0

    def _messages(self, messages: list[Message]) -> list[dict[str, Any]]:
        out = [{"role": "system", "content": self.persona(self.task) + STOP_INSTRUCTIONS.format(stop=self.stop_token)}]
        for m in messages:
            if m.role == "assistant" and m.content.strip():
                out.append({"role": "user", "content": m.content})
            elif m.role == "user":
                out.append({"role": "assistant", "content": m.content})
        if len(out) == 1 or out[-1]["role"] != "user":
            out.append({"role": "user", "content": "(the assistant is waiting for you)"})
        return out

    def _turn(self, resp: Any, latency: float) -> UserTurn:
        self.turns += 1
        text = str(resp.choices[0].message.content or "")
        usage = self.caller.usage(resp, latency).model_dump()
        info = {"model": self.caller.model, "usage": usage, "raw": text}
        if self.stop_token in text:
            before = text.split(self.stop_token)[0].strip()
            return UserTurn(Message.user(before) if before else None, done=True, info={**info, "reason": "stop token"})
        return UserTurn(Message.user(text.strip()), info=info)

    def respond(self, messages: list[Message]) -> UserTurn:
        resp, latency = self.caller.call(self._messages(messages), temperature=self.temperature,
                                         seed=self.seed + self.turns)
        return self._turn(resp, latency)

    async def arespond(self, messages: list[Message]) -> UserTurn:
        resp, latency = await self.caller.acall(self._messages(messages), temperature=self.temperature,
                                                seed=self.seed + self.turns)
        return self._turn(resp, latency)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "turns": self.turns}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.turns = state.get("turns", 0)
