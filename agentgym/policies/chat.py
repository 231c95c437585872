"""Shared by the chat-API policies: converting observations to requests and responses to messages."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json

from agentgym.env import to_message
from agentgym.toolcall_parser import inline_tools, parse_tool_calls
from agentgym.types import Message


def openai_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ToolSpec dicts (name/description/parameters) in OpenAI's ``{"type": "function", ...}`` form."""
    out = []
    for t in tools:
        if t.get("type") == "function" and "function" in t:
            out.append(t)
            continue
        fn = {"name": t["name"], "description": t.get("description", ""),
              "parameters": t.get("parameters") or {"type": "object", "properties": {}}}
        out.append({"type": "function", "function": fn})
    return out


class OpenAIMessages:
    """Each live episode's conversation in OpenAI request form, each message converted (and JSON-encoded)
    once.

    A conversation grows by a message or two a turn; converting and encoding the whole history every turn
    made a turn's cost grow with the episode. An entry is reused only for the very message object at the
    same position, so a rewritten history is converted afresh. The dicts are shared between turns: what
    receives them must not modify them.
    """

    def __init__(self) -> None:
        self._episodes: dict[str, list[tuple[Message, dict[str, Any], bytes | None]]] = {}

    def _sync(self, episode_id: str, messages: list[Message]) -> list[tuple[Message, dict[str, Any], bytes | None]]:
        done = self._episodes.setdefault(episode_id, [])
        keep = 0
        while keep < len(done) and keep < len(messages) and done[keep][0] is messages[keep]:
            keep += 1
        del done[keep:]
        done.extend((m, m.to_openai(), None) for m in messages[keep:])
        return done

    def convert(self, episode_id: str, messages: list[Message]) -> list[dict[str, Any]]:
        return [d for _, d, _ in self._sync(episode_id, messages)]

    def encode(self, episode_id: str, messages: list[Message]) -> bytes:
        """The conversation as a JSON array, ready to splice into a request body."""
        done = self._sync(episode_id, messages)
        for i, (m, d, raw) in enumerate(done):
            if raw is None:
                done[i] = (m, d, to_json(d))
        return b"[" + b", ".join(raw for _, _, raw in done) + b"]"  # type: ignore[misc]

    def forget(self, episode_id: str) -> None:
        self._episodes.pop(episode_id, None)


def request_messages(messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                     native_tools: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(messages, tools) for a chat request from OpenAI-form messages. Without native tool calling the
    tools and earlier calls are written into the text, and the model is expected to answer with
    ``<tool_call>`` blocks."""
    msgs = list(messages)
    specs = openai_tools(tools) if tools else None
    if native_tools:
        return msgs, specs
    return inline_tools(msgs, specs), None


def response_message(message: dict[str, Any] | None) -> Message:
    """The assistant ``Message`` for a response's ``choices[0].message``: native tool calls when present,
    else calls parsed from the text. Broken calls keep ``parse_error`` so the env tells the model."""
    message = dict(message or {})
    message["role"] = "assistant"
    if message.get("tool_calls"):
        return to_message(message)
    content, calls = parse_tool_calls(str(message.get("content") or ""))
    return Message.assistant(content, calls)
