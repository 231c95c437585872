"""CM2-style checklists: many small binary checks, each grounded in the turn that satisfied it.

A checklist criterion's value is the weighted share of its checks that passed; its per-turn values credit
each passed check to the turn holding the evidence (so they sum to the criterion's value), which makes
the reward sparse in assignment but dense in criteria. Strings in a check may reference the task with
``{gold.answer}``, ``{gold.calls.0.name}``, ``{task.id}`` or ``{metrics.key}``: a rubric is written once per
env while the values come from each task. ``{"check": "gold_calls"}`` expands to one ``called`` check per
gold call, and ``from_task: true`` appends the task's own ``gold["checklist"]`` items.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from agentgym.errors import ConfigError
from agentgym.evaluators.registry import MetricValue
from agentgym.evaluators.view import REJECTED_ERRORS, TrajectoryView

_PLACEHOLDER = re.compile(r"\{((?:gold|task|metrics)(?:\.[A-Za-z0-9_\-]+)*)\}")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


class _Check(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = None
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)


class Called(_Check):
    """Some call (at ``turn`` if given) to ``tool`` whose arguments include ``args``."""

    check: Literal["called"]
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    turn: int | None = None


class NotCalled(_Check):
    check: Literal["not_called"]
    tool: str


class MaxCalls(_Check):
    """At most ``n`` calls (to ``tool``, or in total)."""

    check: Literal["max_calls"]
    n: int = Field(ge=0)
    tool: str | None = None


class NoToolErrors(_Check):
    """No call the model caused to fail (harness noise does not count)."""

    check: Literal["no_tool_errors"]


class AnswerContains(_Check):
    check: Literal["answer_contains"]
    text: Any
    case_sensitive: bool = False


class AnswerNumber(_Check):
    """A number in the final answer equals ``value`` (relative/absolute tolerance ``tol``)."""

    check: Literal["answer_number"]
    value: Any
    tol: float = 1e-6


class Regex(_Check):
    """``pattern`` is found in the final answer, any assistant text, or any tool result."""

    check: Literal["regex"]
    pattern: str
    target: Literal["answer", "assistant", "tool_results"] = "answer"

    def model_post_init(self, _: Any) -> None:
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"bad regex {self.pattern!r}: {exc}") from None


class EnvMetricTrue(_Check):
    """The env's metric ``key`` is truthy."""

    check: Literal["env_metric"]
    key: str


class GoldCalls(_Check):
    """Expands to one ``called`` check per ``gold["calls"]`` entry (name and arguments)."""

    check: Literal["gold_calls"]


CheckItem = Annotated[Called | NotCalled | MaxCalls | NoToolErrors | AnswerContains | AnswerNumber | Regex |
                      EnvMetricTrue | GoldCalls, Field(discriminator="check")]
_ITEMS = TypeAdapter(list[CheckItem])


class ChecklistParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items: list[CheckItem] = Field(default_factory=list)
    #: also run the task's own ``gold["checklist"]`` items
    from_task: bool = False

    def model_post_init(self, _: Any) -> None:
        if not self.items and not self.from_task:
            raise ValueError("a checklist needs items or from_task: true")


def _root(name: str, view: TrajectoryView) -> Any:
    if name == "gold":
        return view.gold
    if name == "metrics":
        return view.metrics
    task = view.task
    return {"id": task.id, "category": task.category, "instruction": task.instruction, "metadata": task.metadata}


def _lookup(path: str, view: TrajectoryView) -> Any:
    parts = path.split(".")
    cur: Any = _root(parts[0], view)
    for p in parts[1:]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise KeyError(path)
    return cur


def render(value: Any, view: TrajectoryView) -> Any:
    """Fill ``{gold.x}`` placeholders from the view's task, gold data and metrics; a string that is one
    placeholder keeps the value's type."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            return _lookup(whole.group(1), view)
        return _PLACEHOLDER.sub(lambda m: str(_lookup(m.group(1), view)), value)
    if isinstance(value, dict):
        return {k: render(v, view) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, view) for v in value]
    return value


@dataclass(slots=True)
class _GoldCall:
    """A ``called`` check made from one gold call (task data: nothing to render or validate)."""

    id: str
    tool: str
    args: dict[str, Any]
    weight: float
    turn: None = None
    check: str = "called"


def _expand(items: list[Any], view: TrajectoryView) -> list[Any]:
    out = []
    for item in items:
        if isinstance(item, GoldCalls):
            prefix = item.id or "gold_call"
            for i, g in enumerate(view.gold_calls or []):
                out.append(_GoldCall(f"{prefix}[{i}]:{g.get('name')}", str(g.get("name")),
                                     g.get("arguments") or {}, item.weight))
        else:
            out.append(item)
    return out


def run_checklist(view: TrajectoryView, params: ChecklistParams) -> MetricValue:
    items: list[Any] = list(params.items)
    if params.from_task:
        raw = view.gold.get("checklist") or []
        try:
            items += _ITEMS.validate_python(raw)
        except ValidationError as exc:
            raise ConfigError(f"task {view.task.id}: gold['checklist'] is invalid: {exc.errors()[0]['msg']} "
                              f"at {exc.errors()[0]['loc']}") from None
    items = _expand(items, view)
    total = 0.0
    passed_w = 0.0
    per_turn: dict[int, float] = {}
    evidence = []
    last_turn = max(view.n_turns - 1, 0)
    for n, item in enumerate(items):
        label = item.id or f"{item.check}#{n}"
        try:
            ok, turn, why = _evaluate(item, view)
        except KeyError as exc:  # the task lacks the data this check refers to: not applicable
            evidence.append({"id": label, "passed": None, "turn": None, "evidence": f"not applicable: {exc}"})
            continue
        total += item.weight
        if ok:
            passed_w += item.weight
            t = last_turn if turn is None else turn
            per_turn[t] = per_turn.get(t, 0.0) + item.weight
        evidence.append({"id": label, "passed": ok, "turn": turn, "evidence": why})
    if total == 0:
        return MetricValue(None, None, evidence)
    return MetricValue(passed_w / total, {t: w / total for t, w in per_turn.items()}, evidence)


def _answer(view: TrajectoryView) -> str:
    return view.final_answer or ""


def _evaluate(item: Any, view: TrajectoryView) -> tuple[bool, int | None, str]:
    """``(passed, evidence turn, evidence)``. Raises ``KeyError`` when a placeholder has no value."""
    calls = view.scored_calls()
    if isinstance(item, _GoldCall | Called):
        tool, args = (item.tool, item.args) if isinstance(item, _GoldCall) else \
            (render(item.tool, view), render(item.args, view))
        for c in calls:
            if c.name == tool and c.error not in REJECTED_ERRORS and (item.turn is None or c.turn == item.turn) \
                    and all(k in c.arguments and _equal(c.arguments[k], v) for k, v in args.items()):
                return True, c.turn, f"turn {c.turn}: {c.name}({c.arguments})"
        return False, None, f"no call to {tool} with {args}"
    if isinstance(item, NotCalled):
        tool = render(item.tool, view)
        hit = next((c for c in calls if c.name == tool), None)
        return (hit is None, None, "never called" if hit is None else f"called at turn {hit.turn}")
    if isinstance(item, MaxCalls):
        n = sum(1 for c in calls if item.tool is None or c.name == item.tool)
        return n <= item.n, None, f"{n} calls"
    if isinstance(item, NoToolErrors):
        bad = next((c for c in calls if c.error is not None), None)
        return (bad is None, None, "no errors" if bad is None else f"turn {bad.turn}: {bad.name} -> {bad.error}")
    if isinstance(item, AnswerContains):
        text, ans = str(render(item.text, view)), _answer(view)
        ok = text in ans if item.case_sensitive else text.lower() in ans.lower()
        return ok, view.answer_turn if ok else None, f"answer {'contains' if ok else 'lacks'} {text!r}"
    if isinstance(item, AnswerNumber):
        raw = render(item.value, view)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"task {view.task.id}: answer_number check needs a number, got {raw!r}") from None
        for n in _NUMBER.findall(_answer(view)):
            if math.isclose(float(n), value, rel_tol=item.tol, abs_tol=item.tol):
                return True, view.answer_turn, f"answer states {n}"
        return False, None, f"answer does not state {value:g}"
    if isinstance(item, Regex):
        pattern = re.compile(render(item.pattern, view))
        for turn, text in _texts(view, item.target):
            m = pattern.search(text)
            if m:
                return True, turn, f"turn {turn}: {m.group(0)[:80]!r}"
        return False, None, f"no match for {item.pattern!r} in {item.target}"
    if isinstance(item, EnvMetricTrue):
        if item.key not in view.metrics:
            raise KeyError(f"metrics.{item.key}")
        ok = bool(view.metrics[item.key])
        return ok, None, f"{item.key}={view.metrics[item.key]!r}"
    raise TypeError(f"unhandled check {item!r}")


def _texts(view: TrajectoryView, target: str) -> list[tuple[int | None, str]]:
    if target == "answer":
        return [(view.answer_turn, view.final_answer)] if view.final_answer is not None else []
    if target == "assistant":
        return [(i, s.action.content) for i, s in enumerate(view.trajectory.steps) if s.action.content]
    return [(c.turn, c.result) for c in view.scored_calls() if c.result is not None]


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b
