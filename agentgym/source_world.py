"""A world whose tools come from task-supplied Python source, as CCTU's ``codes`` field ships them.

The source is data from the task file, so it is untrusted: run it under the ``process`` or ``docker``
sandbox. Each tool is described by an OpenAI function schema (validated with ``jsonschema``) and
implemented by a function of the same name defined in its source string.

Config: ``{"tools": [<OpenAI function schema>...], "codes": {name: source}, "state": {...}}``. A tool
function that declares a parameter named ``state`` receives the world's mutable state dict.
"""

from __future__ import annotations

import inspect
from typing import Any

import jsonschema

from agentgym.tools import ToolSpec
from agentgym.types import ToolCall, ToolResult
from agentgym.world import World, to_content, tool_result


class SourceWorld(World):
    def __init__(self, state: dict[str, Any] | None = None, config: dict[str, Any] | None = None):
        super().__init__(state, config)
        config = config or {}
        self.specs: dict[str, ToolSpec] = {}
        self.functions: dict[str, Any] = {}
        self.validators: dict[str, jsonschema.protocols.Validator] = {}
        for schema in config.get("tools", []):
            fn = schema.get("function", schema)
            name = fn["name"]
            params = fn.get("parameters") or {"type": "object", "properties": {}}
            self.specs[name] = ToolSpec(name=name, description=fn.get("description", ""), parameters=params,
                                        mutates=bool(fn.get("mutates", False)))
            cls = jsonschema.validators.validator_for(params)
            self.validators[name] = cls(params)
        for name, source in config.get("codes", {}).items():
            namespace: dict[str, Any] = {"__name__": f"agentgym_tool_{name}"}
            exec(compile(source, f"<tool {name}>", "exec"), namespace)  # noqa: S102 - sandboxed by the backend
            if not callable(namespace.get(name)):
                raise ValueError(f"tool source for {name!r} does not define a function named {name!r}")
            self.functions[name] = namespace[name]

    def tool_specs(self) -> list[ToolSpec]:
        return list(self.specs.values())

    def call(self, call: ToolCall) -> ToolResult:
        def error(kind: str, text: str) -> ToolResult:
            return tool_result(call_id=call.id, name=call.name, content=text, error=kind)

        if call.name not in self.specs or call.name not in self.functions:
            return error("unknown_tool", f"unknown tool '{call.name}'; available tools: "
                                         f"{', '.join(sorted(self.specs))}")
        if call.parse_error:
            return error("malformed_call", f"could not parse arguments for '{call.name}': {call.parse_error}")
        problems = sorted(self.validators[call.name].iter_errors(call.arguments), key=lambda e: list(e.path))
        if problems:
            text = "; ".join(f"field '{'.'.join(map(str, p.path)) or '(arguments)'}': {p.message}"
                             for p in problems)
            return error("invalid_arguments", f"invalid arguments for tool '{call.name}': {text}")
        fn = self.functions[call.name]
        kwargs = dict(call.arguments)
        if "state" in inspect.signature(fn).parameters:
            kwargs["state"] = self.state
        try:
            value = fn(**kwargs)
        except Exception as exc:  # the tool's own failure is part of the episode
            return error("tool_error", f"{type(exc).__name__}: {exc}")
        return tool_result(call_id=call.id, name=call.name, content=to_content(value), error=None)
