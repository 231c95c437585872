"""Turn a trajectory into the rows of its timeline: each tool call paired with its result, plus the turn's
reward components, rubric per-turn scores, violations, injected noise, tokens and latency."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agentgym.types import Message, NoiseEvent, Step, Trajectory, Violation

__all__ = ["CallView", "EpisodeView", "TurnView", "episode_view"]


@dataclass
class CallView:
    """One tool call and what came back for it (``result`` is None when no result was recorded)."""

    id: str
    name: str
    arguments: str
    parse_error: str | None
    result: str | None = None
    error: str | None = None


@dataclass
class TurnView:
    index: int
    content: str
    calls: list[CallView]
    replies: list[Message]  # observation messages that are not tool results (the simulated user, the env)
    reward: float
    reward_components: dict[str, float]
    rubric: dict[str, float]
    violations: list[Violation]
    noise: list[NoiseEvent]
    tokens: tuple[int, int]
    latency_s: float
    terminated: bool
    truncated: bool
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class EpisodeView:
    trajectory: Trajectory
    turns: list[TurnView]
    gold: str
    tools: list[dict[str, Any]]

    @property
    def totals(self) -> dict[str, Any]:
        t = self.trajectory
        return {"turns": len(self.turns), "tool calls": sum(len(x.calls) for x in self.turns),
                "reward": sum(x.reward for x in self.turns), "rubric": t.scores.get("total"),
                "prompt tokens": t.usage.prompt_tokens, "completion tokens": t.usage.completion_tokens,
                "cost $": t.usage.cost, "duration s": t.duration_s,
                "noise injections": sum(len(x.noise) for x in self.turns),
                "violations": sum(len(x.violations) for x in self.turns)}


def _pretty(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


def _turn(step: Step, rubric: dict[str, float]) -> TurnView:
    calls = {c.id: CallView(c.id, c.name, _pretty(c.arguments), c.parse_error) for c in step.action.tool_calls}
    replies = []
    for m in step.observation:
        call = calls.get(m.tool_call_id or "") if m.role == "tool" else None
        if call is not None and call.result is None:
            call.result, call.error = m.content, m.error
        else:
            replies.append(m)
    latency = step.usage.latency_s + sum(v for k, v in step.info.items()
                                         if k.endswith("latency_s") and isinstance(v, (int, float)))
    return TurnView(
        index=step.index, content=step.action.content, calls=list(calls.values()), replies=replies,
        reward=step.reward, reward_components=step.reward_components, rubric=rubric,
        violations=step.violations, noise=step.noise,
        tokens=(step.usage.prompt_tokens, step.usage.completion_tokens), latency_s=latency,
        terminated=step.terminated, truncated=step.truncated,
        info={k: v for k, v in step.info.items() if not k.endswith("latency_s")},
    )


def episode_view(trajectory: Trajectory) -> EpisodeView:
    per_turn = trajectory.scores.get("per_turn") or []
    turns = [_turn(s, per_turn[i] if i < len(per_turn) else {}) for i, s in enumerate(trajectory.steps)]
    return EpisodeView(trajectory, turns, _pretty(trajectory.task.gold), trajectory.tools)
