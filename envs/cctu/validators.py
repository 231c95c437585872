"""CCTU's constraint taxonomy as executable validators: 12 categories in 4 dimensions.

A task's constraint is data: ``{"dimension", "category", "description", "params"}``, where ``params`` uses
the keys of CCTU's released checker files (``min_round``, ``max_callTimes``, ``max_calls_per_tool``,
``min_parallelCallTypes`` + ``unit``, ``order_constraints``, ``parallel_groups``, ``max_responseLength`` +
``unit``, ...). ``build_validators`` turns it into validators, each of which may check

* a tool call before it runs (``check_call``): a violation blocks the call, and
* a final answer (``check_final``): a violation is fed back so the model can refine.

Both see a ``History`` of what the episode has *spent* so far. Calls blocked by a validator never ran, and
calls answered by injected noise (``error == "noise"``) never reached the tool, so neither counts towards
resource or behaviour limits; a turn all of whose calls were blocked or noise still counts as a round.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from agentgym.types import ToolCall, Violation
from agentgym.envs.cctu.schema_check import argument_problems

DIMENSIONS = ("resource", "behavior", "toolset", "response")

#: category -> (dimension, title used in ``INSTRUCTION FOLLOWING ERROR: <title> NOT FOLLOWED!``)
CATEGORIES: dict[str, tuple[str, str]] = {
    "rounds": ("resource", "Interaction Rounds Limit"),
    "call_count": ("resource", "Tool Call Count Limit"),
    "per_tool_calls": ("resource", "Per-Tool Call Limit"),
    "parallel_calls": ("behavior", "Parallel Calls Per Turn"),
    "sequential_dependency": ("behavior", "Sequential Tool Dependency"),
    "parallel_dependency": ("behavior", "Parallel Tool Dependency"),
    "available_tools": ("toolset", "Available Tools Only"),
    "tool_arguments": ("toolset", "Tool Argument Schema"),
    "length": ("response", "Response Length"),
    "format": ("response", "Response Format"),
    "identifiers": ("response", "Response Identifiers"),
    "punctuation": ("response", "Response Punctuation"),
}


@dataclass
class History:
    """What the episode has spent before the call (or answer) being checked."""

    rounds: int = 0  # assistant turns before this one
    turns: list[list[str]] = field(default_factory=list)  # counted tool names per earlier turn
    current: list[str] = field(default_factory=list)  # counted tool names earlier in this message
    message_calls: list[str] = field(default_factory=list)  # every call name in this message
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> parameters schema
    run_checker: Callable[[str, str], tuple[bool, str]] | None = None  # sandboxed task-supplied checkers

    @property
    def round_no(self) -> int:
        """This turn's 1-based round number (the final answer's round included)."""
        return self.rounds + 1

    @property
    def total_calls(self) -> int:
        return sum(len(t) for t in self.turns) + len(self.current)

    def count(self, name: str) -> int:
        return sum(t.count(name) for t in self.turns) + self.current.count(name)

    def widest_turn(self, distinct: bool) -> int:
        return max((len(set(t)) if distinct else len(t) for t in self.turns), default=0)


class Validator:
    """One constraint with its parameters. Subclasses set ``category`` and override the checks."""

    category: ClassVar[str] = ""

    def __init__(self, params: dict[str, Any], description: str | None = None):
        self.params = params
        self.description = description or ""

    @property
    def dimension(self) -> str:
        return CATEGORIES[self.category][0]

    @property
    def title(self) -> str:
        return CATEGORIES[self.category][1]

    def violation(self, constraint: str, detail: str) -> Violation:
        return Violation(constraint=constraint, message=f"{self.title}: {detail}", dimension=self.dimension,
                         category=self.category)

    def check_call(self, call: ToolCall, h: History) -> list[Violation]:
        return []

    def check_final(self, response: str, h: History) -> list[Violation]:
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params})"


# ---------------------------------------------------------------------------------------------- resource
class Rounds(Validator):
    category = "rounds"

    def check_call(self, call: ToolCall, h: History) -> list[Violation]:
        hi = self.params.get("max_round")
        if hi is not None and h.round_no > hi:
            return [self.violation("max_round", f"this is round {h.round_no}, but at most {hi} rounds "
                                                f"(including the final answer) are allowed")]
        return []

    def check_final(self, response: str, h: History) -> list[Violation]:
        lo, hi = self.params.get("min_round"), self.params.get("max_round")
        if hi is not None and h.round_no > hi:
            return [self.violation("max_round", f"the answer came in round {h.round_no}; at most {hi} "
                                                f"rounds are allowed")]
        if lo is not None and h.round_no < lo:
            return [self.violation("min_round", f"the answer came in round {h.round_no}; at least {lo} "
                                                f"rounds (including the final answer) are required")]
        return []


class CallCount(Validator):
    category = "call_count"

    def check_call(self, call: ToolCall, h: History) -> list[Violation]:
        hi = self.params.get("max_callTimes")
        if hi is not None and h.total_calls + 1 > hi:
            return [self.violation("max_callTimes", f"this would be tool call {h.total_calls + 1}; at most "
                                                    f"{hi} tool calls are allowed in total")]
        return []

    def check_final(self, response: str, h: History) -> list[Violation]:
        lo = self.params.get("min_callTimes")
        if lo is not None and h.total_calls < lo:
            return [self.violation("min_callTimes", f"only {h.total_calls} tool calls were made; at least "
                                                    f"{lo} are required before answering")]
        return []


class PerToolCalls(Validator):
    category = "per_tool_calls"

    def check_call(self, call: ToolCall, h: History) -> list[Violation]:
        limits = self.params.get("max_calls_per_tool")
        limit = limits.get(call.name) if isinstance(limits, dict) else limits
        if limit is not None and h.count(call.name) + 1 > int(limit):
            return [self.violation("max_calls_per_tool", f"'{call.name}' may be called at most {limit} "
                                                         f"time(s); this would be call {h.count(call.name) + 1}")]
        return []


# ---------------------------------------------------------------------------------------------- behavior
def _counts_types(unit: Any) -> bool:
    """``unit`` of the parallel checker: distinct tool types (``"type"``/``"kind"``) or individual calls."""
    text = str(unit or "calls").lower()
    return "type" in text or "kind" in text or "distinct" in text


class ParallelCalls(Validator):
    category = "parallel_calls"

    def check_call(self, call: ToolCall, h: History) -> list[Violation]:
        hi = self.params.get("max_parallelCallTypes")
        if hi is None:
            return []
        names = [*h.current, call.name]
        width = len(set(names)) if _counts_types(self.params.get("unit")) else len(names)
        if width > hi:
            what = "distinct tools" if _counts_types(self.params.get("unit")) else "tool calls"
            return [self.violation("max_parallelCallTypes", f"this call makes {width} {what} in one turn; "
                                                            f"at most {hi} are allowed")]
        return []

    def check_final(self, response: str, h: History) -> list[Violation]:
        lo = self.params.get("min_parallelCallTypes")
        distinct = _counts_types(self.params.get("unit"))
        if lo is not None and h.widest_turn(distinct) < lo:
            what = "distinct tools" if distinct else "tool calls"
            return [self.violation("min_parallelCallTypes", f"no turn made at least {lo} {what} in parallel "
                                                            f"(the most was {h.widest_turn(distinct)})")]
        return []


def _pairs(spec: Any) -> list[tuple[str, str]]:
    """``order_constraints`` as (before, after) pairs; accepts pairs, chains and before/after dicts."""
    pairs: list[tuple[str, str]] = []
    for item in spec or []:
        if isinstance(item, dict):
            before = item.get("before", item.get("from", item.get("first")))
            after = item.get("after", item.get("to", item.get("then")))
            pairs.append((str(before), str(after)))
        elif isinstance(item, list | tuple):
            pairs.extend((str(a), str(b)) for a, b in zip(item, item[1:], strict=False))
    return pairs


class SequentialDependency(Validator):
    category = "sequential_dependency"

    def check_call(self, call: ToolCall, h: History) -> list[Violation]:
        out = []
        for before, after in _pairs(self.params.get("order_constraints")):
            if call.name == after and not any(before in t for t in h.turns):
                out.append(self.violation("order_constraints", f"'{after}' may only be called after "
                                                               f"'{before}' has returned in an earlier turn"))
        return out


def _groups(spec: Any) -> list[list[str]]:
    out = []
    for item in spec or []:
        tools = item.get("tools", []) if isinstance(item, dict) else item
        out.append([str(t) for t in tools])
    return out


class ParallelDependency(Validator):
    category = "parallel_dependency"

    def check_call(self, call: ToolCall, h: History) -> list[Violation]:
        out = []
        for group in _groups(self.params.get("parallel_groups")):
            missing = [t for t in group if t != call.name and t not in h.message_calls]
            if call.name in group and missing:
                out.append(self.violation("parallel_groups", f"'{call.name}' must be called in the same turn "
                                                             f"as {', '.join(repr(t) for t in missing)}"))
        return out


# ----------------------------------------------------------------------------------------------- toolset
class AvailableTools(Validator):
    category = "available_tools"

    def check_call(self, call: ToolCall, h: History) -> list[Violation]:
        if call.name not in h.tools:
            return [self.violation("available_tools", f"'{call.name}' is not an available tool; available: "
                                                      f"{', '.join(sorted(h.tools))}")]
        return []


class ToolArguments(Validator):
    category = "tool_arguments"

    def check_call(self, call: ToolCall, h: History) -> list[Violation]:
        if call.name not in h.tools:
            return []  # AvailableTools reports it
        if call.parse_error:
            return [self.violation("tool_arguments", f"arguments of '{call.name}' could not be parsed: "
                                                     f"{call.parse_error}")]
        problems = argument_problems(call.arguments, h.tools[call.name])
        if problems:
            return [self.violation("tool_arguments", f"arguments of '{call.name}' do not fit its schema: "
                                                     + "; ".join(problems))]
        return []


# ---------------------------------------------------------------------------------------------- response
class Length(Validator):
    category = "length"

    def check_final(self, response: str, h: History) -> list[Violation]:
        words = "word" in str(self.params.get("unit", "characters")).lower() or \
            "token" in str(self.params.get("unit", "")).lower()
        size = len(response.split()) if words else len(response)
        unit = "words" if words else "characters"
        lo, hi = self.params.get("min_responseLength"), self.params.get("max_responseLength")
        if lo is not None and size < lo:
            return [self.violation("min_responseLength", f"the answer has {size} {unit}; at least {lo} required")]
        if hi is not None and size > hi:
            return [self.violation("max_responseLength", f"the answer has {size} {unit}; at most {hi} allowed")]
        return []


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S")


class Format(Validator):
    category = "format"

    def check_final(self, response: str, h: History) -> list[Violation]:
        kind = self.params["format"]
        if kind == "json":
            try:
                value = json.loads(response.strip())
            except json.JSONDecodeError as exc:
                return [self.violation("format", f"the answer must be a JSON object; it does not parse "
                                                 f"({exc.msg} at char {exc.pos})")]
            if not isinstance(value, dict):
                return [self.violation("format", "the answer must be a JSON object")]
            return []
        if kind == "markdown_list":
            lines = [line for line in response.splitlines() if line.strip()]
            bad = [line for line in lines if not _LIST_ITEM.match(line)]
            if not lines or bad:
                return [self.violation("format", "every line of the answer must be a Markdown list item "
                                                 f"('- ...'); {len(bad)} line(s) are not")]
            return []
        raise ValueError(f"unknown response format {kind!r}")


_BOXED = re.compile(r"\\boxed\{[^{}]*\}")


class Identifiers(Validator):
    category = "identifiers"

    def check_final(self, response: str, h: History) -> list[Violation]:
        spec = self.params["identifier"]
        if "ends_with" in spec and not response.rstrip().endswith(spec["ends_with"]):
            return [self.violation("identifiers", f"the answer must end with {spec['ends_with']!r}")]
        if spec.get("boxed") and len(_BOXED.findall(response)) != 1:
            return [self.violation("identifiers", f"the answer must contain exactly one \\boxed{{...}}; "
                                                  f"found {len(_BOXED.findall(response))}")]
        return []


class Punctuation(Validator):
    category = "punctuation"

    def check_final(self, response: str, h: History) -> list[Violation]:
        used = [p for p in self.params["punctuation"].get("forbidden", []) if p in response]
        if used:
            return [self.violation("punctuation", f"the answer must not contain {' '.join(used)}")]
        return []


#: the function a task-supplied checker file defines -> its category
CHECKER_FUNCTIONS = {"validate_format": "format", "validate_punctuation": "punctuation",
                     "validate_identifiers": "identifiers", "validate_length": "length"}


class PythonChecker(Validator):
    """A task-supplied ``validate_*(response) -> (bool, message)``; it runs in the task's sandbox."""

    def __init__(self, params: dict[str, Any], description: str | None = None):
        super().__init__(params, description)
        self._category = CHECKER_FUNCTIONS.get(params.get("function", ""), "format")

    @property
    def category(self) -> str:  # type: ignore[override]
        return self._category

    def check_final(self, response: str, h: History) -> list[Violation]:
        if h.run_checker is None:
            raise RuntimeError("a task-supplied checker needs the sandbox session to run in")
        ok, message = h.run_checker(self.params["checker"], response)
        return [] if ok else [self.violation(self.params.get("function", "checker"), message or
                                             self.description or "response check failed")]


_BY_KEY: list[tuple[tuple[str, ...], type[Validator]]] = [
    (("min_round", "max_round"), Rounds),
    (("min_callTimes", "max_callTimes"), CallCount),
    (("max_calls_per_tool",), PerToolCalls),
    (("min_parallelCallTypes", "max_parallelCallTypes"), ParallelCalls),
    (("order_constraints",), SequentialDependency),
    (("parallel_groups",), ParallelDependency),
    (("available_tools",), AvailableTools),
    (("tool_arguments",), ToolArguments),
    (("min_responseLength", "max_responseLength"), Length),
    (("format",), Format),
    (("identifier",), Identifiers),
    (("punctuation",), Punctuation),
    (("checker",), PythonChecker),
]


def build_validators(constraint: dict[str, Any]) -> list[Validator]:
    """The validators a constraint's parameters describe (one params dict may hold several checkers)."""
    params = constraint.get("params") or {}
    description = constraint.get("description")
    found = [cls(params, description) for keys, cls in _BY_KEY if any(k in params for k in keys)]
    if not found:
        raise ValueError(f"constraint parameters {sorted(params)} name no known checker")
    return found
