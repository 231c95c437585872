"""The world: an env's mutable state plus the tools that read and change it.

A world is what a sandbox hosts. It is built inside the sandbox from a ``WorldSpec`` (an import path and a
JSON config), so the same spec gives the same world in-process, in a subprocess or in a container.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agentgym.tools import Tool, ToolArgumentError, ToolSpec
from agentgym.types import ToolCall, ToolResult, fast_construct


class WorldSpec(BaseModel):
    """How to build a world: ``factory`` is ``"module:attr"`` (a World subclass or a callable taking the
    config), ``config`` is JSON data (the task's initial state, task-supplied tool source, ...)."""

    model_config = ConfigDict(extra="forbid")

    factory: str
    config: dict[str, Any] = Field(default_factory=dict)


def copy_json(value: Any) -> Any:
    """Deep copy of JSON-shaped data (dicts, lists, scalars); much faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def to_content(value: Any) -> str:
    """A tool's return value as the text a model reads."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


class World:
    """State plus tools. Subclasses declare tools as methods decorated with ``@tool``.

    ``state`` must stay JSON-serialisable: snapshots are JSON, and the process and docker sandboxes send
    them over the wire.
    """

    tools: ClassVar[dict[str, Tool]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Tool] = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                t = getattr(attr, "tool", None)
                if isinstance(t, Tool):
                    found[t.name] = t
        cls.tools = found

    def __init__(self, state: dict[str, Any] | None = None, config: dict[str, Any] | None = None):
        self.config = config or {}
        self.initial_state = state or {}  # never mutated: reset() and the live state work on copies
        self.state: dict[str, Any] = copy_json(self.initial_state)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> World:
        return cls(state=config.get("state"), config=config)

    def tool_specs(self) -> list[ToolSpec]:
        return [t.spec for t in self.tools.values()]

    def tool_spec_dicts(self) -> list[dict[str, Any]]:
        """``tool_specs()`` as JSON dicts. Cached per class when the tools are the declared ones (they never
        change); callers must treat the list as read-only."""
        cls = type(self)
        if cls.tool_specs is not World.tool_specs:  # dynamic tools (e.g. task-supplied source)
            return [s.model_dump() for s in self.tool_specs()]
        if "_spec_dicts" not in cls.__dict__:
            cls._spec_dicts = [s.model_dump() for s in self.tool_specs()]  # type: ignore[attr-defined]
        return cls._spec_dicts  # type: ignore[attr-defined]

    def call(self, call: ToolCall) -> ToolResult:
        """Run one tool call. Never raises for bad input: failures become tool errors."""
        t = self.tools.get(call.name)
        if t is None:
            known = ", ".join(sorted(self.tools))
            return tool_result(call_id=call.id, name=call.name, error="unknown_tool",
                                              content=f"unknown tool '{call.name}'; available tools: {known}")
        if call.parse_error:
            return tool_result(call_id=call.id, name=call.name, error="malformed_call",
                                              content=f"could not parse arguments for '{call.name}': "
                                                      f"{call.parse_error}")
        try:
            args = t.validate(call.arguments)
        except ToolArgumentError as exc:
            return tool_result(call_id=call.id, name=call.name, error="invalid_arguments",
                                              content=str(exc))
        if "state" in t.injected:
            args["state"] = self.state
        try:
            value = t.fn(self, **args) if t.takes_self else t.fn(**args)
        except Exception as exc:  # the tool's own failure is part of the episode
            return tool_result(call_id=call.id, name=call.name, error="tool_error",
                                              content=f"{type(exc).__name__}: {exc}")
        return tool_result(call_id=call.id, name=call.name, content=to_content(value), error=None)

    def snapshot(self) -> dict[str, Any]:
        return copy_json(self.state)

    def restore(self, snapshot: dict[str, Any]) -> None:
        self.state = copy_json(snapshot)

    def reset(self) -> None:
        self.state = copy_json(self.initial_state)


def tool_result(*, call_id: str, name: str, content: str, error: Any = None) -> ToolResult:
    return fast_construct(ToolResult, call_id=call_id, name=name, content=content, error=error)


@functools.lru_cache(maxsize=256)
def resolve(path: str) -> Any:
    """Import ``"package.module:attribute"``."""
    module, _, attr = path.partition(":")
    if not attr:
        raise ValueError(f"expected 'module:attribute', got {path!r}")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def build_world(spec: WorldSpec) -> World:
    factory: Any = resolve(spec.factory)
    if isinstance(factory, type) and issubclass(factory, World):
        return factory.from_config(spec.config)
    world = factory(spec.config)
    if not isinstance(world, World):
        raise TypeError(f"world factory {spec.factory!r} returned {type(world).__name__}, not a World")
    return world


WorldFactory = Callable[[dict[str, Any]], World]
