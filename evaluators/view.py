"""A flat, read-only view of a trajectory that every metric shares.

Metrics ask the same questions (which calls, in which turn, what came back, what was the final answer);
building the answers once per trajectory keeps rescoring thousands of trajectories cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentgym.types import Trajectory, canonical_json

#: results whose failure is the harness's doing (noise injection, infrastructure), not the model's
HARNESS_ERRORS = frozenset({"noise", "infra"})
#: calls the env rejected without running them: they did nothing
REJECTED_ERRORS = frozenset({"malformed_call", "unknown_tool", "invalid_arguments", "constraint"})


@dataclass(slots=True)
class CallView:
    turn: int
    name: str
    arguments: dict[str, Any]
    result: str | None  # the tool's content, None when no result was recorded
    error: str | None
    parse_error: str | None
    _key: str | None = None

    @property
    def key(self) -> str:
        """Canonical name + arguments, for identity checks (computed only by metrics that need it)."""
        if self._key is None:
            self._key = call_key(self.name, self.arguments)
        return self._key

    @property
    def ok(self) -> bool:
        return self.result is not None and self.error is None and self.parse_error is None


@dataclass(slots=True)
class TrajectoryView:
    trajectory: Trajectory
    metrics: dict[str, Any]
    gold: dict[str, Any]
    n_turns: int
    calls: list[CallView]
    #: content of the last assistant turn without tool calls, and its turn index
    final_answer: str | None
    answer_turn: int | None
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def task(self) -> Any:
        return self.trajectory.task

    @property
    def gold_calls(self) -> list[dict[str, Any]] | None:
        """``gold["calls"]`` when it is a list of ``{"name", "arguments"}`` calls; anything else (absent,
        or an env's own data under that key) makes the call metrics not applicable."""
        if "gold_calls" not in self._cache:
            calls = self.gold.get("calls")
            ok = isinstance(calls, list) and all(
                isinstance(c, dict) and isinstance(c.get("name"), str)
                and isinstance(c.get("arguments", {}), dict) for c in calls)
            self._cache["gold_calls"] = calls if ok else None
        return self._cache["gold_calls"]

    def scored_calls(self) -> list[CallView]:
        """Calls that count as the model's actions: those a harness fault (noise, infra) did not eat."""
        out = self._cache.get("scored_calls")
        if out is None:
            out = self._cache["scored_calls"] = [c for c in self.calls if c.error not in HARNESS_ERRORS]
        return out

    def memo(self, key: str, compute: Any) -> Any:
        """Share an intermediate result (e.g. the call matching) between metrics."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


_SCALARS = (str, int, float, bool, type(None))


def call_key(name: str, arguments: dict[str, Any]) -> str:
    """A string that is equal for equal calls (argument order ignored); flat arguments take a fast path."""
    if all(type(v) in _SCALARS for v in arguments.values()):
        return name + "\x1f" + repr(sorted(arguments.items()))
    return name + "\x1e" + canonical_json(arguments)


def build_view(traj: Trajectory, metrics: dict[str, Any]) -> TrajectoryView:
    calls: list[CallView] = []
    final_answer: str | None = None
    answer_turn: int | None = None
    for t, step in enumerate(traj.steps):
        action = step.action
        if action.tool_calls:
            results = {m.tool_call_id: m for m in step.observation if m.role == "tool"}
            for call in action.tool_calls:
                res = results.get(call.id)
                calls.append(CallView(
                    turn=t, name=call.name, arguments=call.arguments,
                    result=res.content if res is not None else None,
                    error=res.error if res is not None else None, parse_error=call.parse_error))
        else:
            final_answer, answer_turn = action.content, t
    return TrajectoryView(trajectory=traj, metrics=metrics, gold=traj.task.gold or {}, n_turns=len(traj.steps),
                          calls=calls, final_answer=final_answer, answer_turn=answer_turn)
