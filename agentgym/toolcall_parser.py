"""Reading tool calls out of plain text, for models without native tool calling.

Understands Hermes/Qwen blocks (``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``) and fenced
JSON blocks (```json {"name": ..., "arguments": ...}```). A block that looks like a call but does not parse
becomes a ``ToolCall`` with ``parse_error`` set, which the env answers with a ``malformed_call`` error the
model can read and fix. Nothing here raises on model output.
"""

from __future__ import annotations

import json
import re
from typing import Any

from agentgym.types import Message, ToolCall

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_FENCED = re.compile(r"```(?:json|tool_call)?\s*(\{.*?\})\s*```", re.S)


def _call_id(index: int, _name: str) -> str:
    return f"call_{index}"


def _from_obj(obj: Any, index: int) -> ToolCall | None:
    if not isinstance(obj, dict):
        return ToolCall(id=_call_id(index, ""), name="", parse_error="a tool call must be a JSON object")
    fn = obj.get("function") if isinstance(obj.get("function"), dict) else obj
    name = fn.get("name")
    if not isinstance(name, str) or not name:
        return None
    args = fn.get("arguments", fn.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as exc:
            return ToolCall(id=_call_id(index, name), name=name, parse_error=f"arguments are not valid JSON: {exc}")
    if not isinstance(args, dict):
        return ToolCall(id=_call_id(index, name), name=name,
                        parse_error=f"arguments must be a JSON object, got {type(args).__name__}")
    return ToolCall(id=_call_id(index, name), name=name, arguments=args)


def parse_tool_calls(text: str) -> tuple[str, list[ToolCall]]:
    """Split model text into (remaining content, tool calls)."""
    calls: list[ToolCall] = []
    blocks = list(_TAGGED.finditer(text))
    pattern_used = _TAGGED
    if not blocks:
        blocks = [m for m in _FENCED.finditer(text) if '"name"' in m.group(1)]
        pattern_used = _FENCED
    if not blocks:
        return _bare_call(text)
    for m in blocks:
        raw = m.group(1).strip()
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            name_match = re.search(r'"name"\s*:\s*"([^"]+)"', raw)
            calls.append(ToolCall(id=_call_id(len(calls), ""), name=name_match.group(1) if name_match else "",
                                  parse_error=f"tool call is not valid JSON ({exc.msg} at char {exc.pos})"))
            continue
        items = obj if isinstance(obj, list) else [obj]
        for item in items:
            call = _from_obj(item, len(calls))
            if call is not None:
                calls.append(call)
    remaining = pattern_used.sub("", text).strip()
    return remaining, calls


def _bare_call(text: str) -> tuple[str, list[ToolCall]]:
    """A whole message that is one JSON object naming a tool (small models often answer this way)."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}") and '"name"' in stripped):
        return text, []
    try:
        obj = json.loads(stripped)
    except json.JSONDecodeError:
        return text, []
    if not isinstance(obj, dict) or not ({"arguments", "parameters", "function"} & obj.keys()):
        return text, []
    call = _from_obj(obj, 0)
    return ("", [call]) if call is not None else (text, [])


def message_from_text(text: str) -> Message:
    content, calls = parse_tool_calls(text)
    return Message.assistant(content, calls)


def render_tool_calls(calls: list[ToolCall]) -> str:
    """The inverse of ``parse_tool_calls``: Hermes-style blocks, for prompting text-only models."""
    return "\n".join(
        "<tool_call>" + json.dumps({"name": c.name, "arguments": c.arguments}) + "</tool_call>" for c in calls)


TOOL_PROMPT = (
    "You may call the following tools. To call one, reply with one block per call:\n"
    '<tool_call>{{"name": "<tool name>", "arguments": {{<arguments as a JSON object>}}}}</tool_call>\n'
    "Tools:\n<tools>\n{tools}\n</tools>"
)


def inline_tools(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """OpenAI-style messages rewritten for a model without native tool calling: the tool list goes into
    the system message, earlier tool calls become ``<tool_call>`` blocks and tool results become user
    messages wrapped in ``<tool_response>``. ``tools`` may be OpenAI tool dicts or bare ToolSpec dicts."""
    out = []
    for m in messages:
        content = m.get("content") or ""
        if isinstance(content, list):  # OpenAI content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        role = m.get("role", "user")
        if m.get("tool_calls"):
            blocks = []
            for c in m["tool_calls"]:
                fn = c.get("function", c)
                args = fn.get("arguments", {})
                if isinstance(args, str):
                    try:
                        args = json.loads(args)
                    except json.JSONDecodeError:
                        pass
                blocks.append("<tool_call>" + json.dumps({"name": fn.get("name"), "arguments": args}) + "</tool_call>")
            content = "\n".join([content, *blocks]).strip()
        if role == "tool":
            role, content = "user", f"<tool_response>\n{content}\n</tool_response>"
        out.append({"role": role, "content": content})
    if tools:
        listing = "\n".join(json.dumps(t.get("function", t)) for t in tools)
        block = TOOL_PROMPT.format(tools=listing)
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": f"{out[0]['content']}\n\n{block}".strip()}
        else:
            out.insert(0, {"role": "system", "content": block})
    return out
