"""CCTU's world: task-supplied tool source plus task-supplied response checkers, in one sandboxed world.

Tools come from the task's ``codes`` (see ``agentgym.source_world.SourceWorld``). Official CCTU data also
ships Python response checkers (``validate_format(response) -> (bool, message)`` and friends); they are
task-supplied code too, so they run in the same sandbox, reached through the reserved call name
``CHECKER_CALL``. That name is never offered to the model, and the env's available-tools validator blocks
a model that tries to call it before the call could get here.

Config: SourceWorld's ``{"tools", "codes", "state"}`` plus ``"checkers": {key: {"source", "function"}}``.
"""

from __future__ import annotations

from typing import Any

from agentgym.source_world import SourceWorld
from agentgym.types import ToolCall, ToolResult
from agentgym.world import to_content

CHECKER_CALL = "__cctu_checker__"


class CCTUWorld(SourceWorld):
    def __init__(self, state: dict[str, Any] | None = None, config: dict[str, Any] | None = None):
        super().__init__(state, config)
        self.checkers: dict[str, Any] = {}
        for key, spec in (config or {}).get("checkers", {}).items():
            namespace: dict[str, Any] = {"__name__": f"agentgym_checker_{key}"}
            exec(compile(spec["source"], f"<checker {key}>", "exec"), namespace)  # noqa: S102 - sandboxed
            fn = namespace.get(spec["function"])
            if not callable(fn):
                raise ValueError(f"checker {key!r} does not define {spec['function']!r}")
            self.checkers[key] = fn

    def call(self, call: ToolCall) -> ToolResult:
        if call.name != CHECKER_CALL:
            return super().call(call)
        fn = self.checkers.get(str(call.arguments.get("checker")))
        if fn is None:
            return ToolResult.model_construct(call_id=call.id, name=call.name, error="unknown_tool",
                                              content=f"no checker {call.arguments.get('checker')!r}")
        try:
            verdict = fn(str(call.arguments.get("response", "")))
            ok, message = (verdict if isinstance(verdict, tuple | list) else (bool(verdict), ""))[:2]
        except Exception as exc:  # a broken checker fails the response, it does not crash the episode
            ok, message = False, f"checker raised {type(exc).__name__}: {exc}"
        return ToolResult.model_construct(call_id=call.id, name=call.name, error=None,
                                          content=to_content({"ok": bool(ok), "message": str(message)}))
