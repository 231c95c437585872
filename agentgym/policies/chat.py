"""Shared by the chat-API policies: converting observations to requests and responses to messages."""

from __future__ import annotations

from typing import Any

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


def request_messages(messages: list[Message], tools: list[dict[str, Any]],
                     native_tools: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(messages, tools) for a chat request. Without native tool calling the tools and earlier calls are
    written into the text, and the model is expected to answer with ``<tool_call>`` blocks."""
    msgs = [m.to_openai() for m in messages]
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
