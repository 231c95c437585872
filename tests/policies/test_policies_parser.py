"""The text tool-call forms small models use, and the prompt form for models without tool calling."""

from __future__ import annotations

from agentgym.policies.chat import openai_tools, response_message
from agentgym.toolcall_parser import inline_tools, parse_tool_calls


def test_bare_json_object_is_a_call():
    content, [call] = parse_tool_calls('{"name": "add", "arguments": {"a": 1, "b": 2}}')
    assert (content, call.name, call.arguments) == ("", "add", {"a": 1, "b": 2})


def test_plain_json_that_names_no_tool_is_text():
    assert parse_tool_calls('{"name": "Ann"}') == ('{"name": "Ann"}', [])
    assert parse_tool_calls("just words") == ("just words", [])


def test_response_message_prefers_native_calls_and_keeps_parse_errors():
    native = response_message({"content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{bad"}}]})
    assert native.tool_calls[0].parse_error and native.content == ""
    text = response_message({"content": "```json\n{\"name\": \"add\", \"arguments\": {\"a\": 1}}\n```"})
    assert text.tool_calls[0].arguments == {"a": 1}


def test_inline_tools_writes_tools_calls_and_results_as_text():
    tools = openai_tools([{"name": "add", "description": "Add.", "parameters": {"type": "object"}}])
    msgs = inline_tools([
        {"role": "system", "content": "Be brief."},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}]},
        {"role": "tool", "content": "3", "tool_call_id": "c"}], tools)
    assert msgs[0]["content"].startswith("Be brief.") and '"name": "add"' in msgs[0]["content"]
    assert msgs[1] == {"role": "assistant", "content": '<tool_call>{"name": "add", "arguments": {"a": 1}}</tool_call>'}
    assert msgs[2] == {"role": "user", "content": "<tool_response>\n3\n</tool_response>"}
