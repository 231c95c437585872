"""Typed tools: a decorated Python function becomes a ``ToolSpec`` (OpenAI function-calling schema).

The signature is the schema and the docstring is the description, so a tool is declared exactly once.
Arguments coming from a model are validated against the same pydantic model the schema was made from;
a failure is returned to the model as an ``invalid_arguments`` tool error naming the field and the problem.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from agentgym.errors import ToolDefinitionError


class ToolSpec(BaseModel):
    """What a model is told about a tool. ``mutates`` marks write tools (they change world state)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    parameters: dict[str, Any]
    mutates: bool = False

    def to_openai(self) -> dict[str, Any]:
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": self.parameters}}


class ToolArgumentError(ValueError):
    """Arguments a model passed do not fit the tool's schema. The message is shown to the model."""


_ARG_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_SECTION = re.compile(r"^\s*(Returns|Return|Raises|Yields|Examples?|Notes?):\s*$")
_ARG_LINE = re.compile(r"^\s*(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_SPHINX = re.compile(r"^\s*:param\s+(?:[\w\[\], ]+\s+)?(\w+):\s*(.*)$")


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a Google- or Sphinx-style docstring into (description, {argument: description})."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    description: list[str] = []
    args: dict[str, str] = {}
    section = "description"
    current: str | None = None
    for line in lines:
        if _ARG_SECTION.match(line):
            section, current = "args", None
            continue
        if _SECTION.match(line):
            section, current = "other", None
            continue
        sphinx = _SPHINX.match(line)
        if sphinx:
            current = sphinx.group(1)
            args[current] = sphinx.group(2).strip()
            section = "args"
            continue
        if section == "description":
            if line.strip().startswith(":"):
                section = "other"
                continue
            description.append(line)
        elif section == "args":
            if line.strip().startswith(":"):  # another Sphinx field (:returns:, :raises:)
                section, current = "other", None
                continue
            m = _ARG_LINE.match(line)
            indent = len(line) - len(line.lstrip())
            if m and (current is None or indent <= _arg_indent(lines, current)):
                current = m.group(1).lstrip("*")
                args[current] = m.group(3).strip()
            elif current and line.strip():
                args[current] = f"{args[current]} {line.strip()}".strip()
    text = "\n".join(description).strip()
    first_paragraph = text.split("\n\n")[0].replace("\n", " ").strip()
    return first_paragraph, args


def _arg_indent(lines: list[str], name: str) -> int:
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(f"{name}:") or stripped.startswith(f"{name} ("):
            return len(line) - len(stripped)
    return 0


class Tool:
    """A callable tool: its spec, the function, and the argument model used for validation."""

    def __init__(self, fn: Callable[..., Any], *, name: str | None = None, mutates: bool = False,
                 description: str | None = None):
        self.fn = fn
        self.name = name or fn.__name__
        doc_description, arg_docs = parse_docstring(fn.__doc__)
        self.description = description or doc_description
        self.takes_self, self.injected = False, set()
        self.args_model = self._build_args_model(fn, arg_docs)
        schema = self.args_model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        schema.setdefault("required", [])
        self.spec = ToolSpec(name=self.name, description=self.description, parameters=schema, mutates=mutates)

    def _build_args_model(self, fn: Callable[..., Any], arg_docs: dict[str, str]) -> type[BaseModel]:
        try:
            hints = get_type_hints(fn)
        except Exception as exc:  # unresolved forward reference
            raise ToolDefinitionError(f"tool {self.name!r}: cannot resolve annotations: {exc}") from exc
        fields: dict[str, Any] = {}
        for i, (pname, param) in enumerate(inspect.signature(fn).parameters.items()):
            if i == 0 and pname == "self":
                self.takes_self = True
                continue
            if pname == "state":  # world state injected by the world, never given by the model
                self.injected.add(pname)
                continue
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise ToolDefinitionError(f"tool {self.name!r}: *args/**kwargs cannot be described to a model")
            if pname not in hints:
                raise ToolDefinitionError(
                    f"tool {self.name!r}: argument {pname!r} needs a type annotation so a schema can be made")
            default = ... if param.default is param.empty else param.default
            fields[pname] = (hints[pname], Field(default, description=arg_docs.get(pname)))
        return create_model(  # type: ignore[call-overload]
            f"{self.name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Validated, coerced arguments; raises ToolArgumentError with a model-readable message."""
        try:
            parsed = self.args_model.model_validate(arguments)
        except ValidationError as exc:
            raise ToolArgumentError(format_validation_error(self.name, exc)) from None
        return {k: getattr(parsed, k) for k in type(parsed).model_fields}

    def __repr__(self) -> str:
        return f"Tool({self.name!r}, mutates={self.spec.mutates})"


def format_validation_error(tool_name: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(arguments)"
        got = err.get("input")
        shown = "" if err["type"] == "missing" else f" (got {json.dumps(got, default=str)[:80]})"
        problems.append(f"field '{loc}': {err['msg']}{shown}")
    return f"invalid arguments for tool '{tool_name}': " + "; ".join(problems)


def tool(fn: Callable[..., Any] | None = None, *, name: str | None = None, mutates: bool = False,
         description: str | None = None) -> Any:
    """Declare a tool from a typed function (or a ``World`` method).

    Use bare (``@tool``) for read tools and ``@tool(mutates=True)`` for tools that change world state.
    Argument descriptions come from the docstring's ``Args:`` section. The function stays callable as is;
    the ``Tool`` is attached as ``fn.tool``.
    """

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        f.tool = Tool(f, name=name, mutates=mutates, description=description)  # type: ignore[attr-defined]
        return f

    return wrap(fn) if fn is not None else wrap
