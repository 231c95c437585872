"""Builders for hand-made trajectories, so metric tests can state exact expected values."""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from agentgym.types import Message, Step, Task, ToolCall, ToolResult, Trajectory, Violation  # noqa: E402


def call(tool: str, result: Any = None, /, *, error: str | None = None, **arguments: Any) -> dict[str, Any]:
    """One tool call and what came back (``result=None`` and no error: the env recorded no result)."""
    return {"name": tool, "arguments": arguments, "result": result, "error": error}


def build(turns: list[Any], gold: dict[str, Any] | None = None, env: str = "calculator",
          metrics: dict[str, Any] | None = None, components: list[dict[str, float]] | None = None,
          violations: set[int] = frozenset(), instruction: str = "Compute something.",
          tools: list[dict[str, Any]] | None = None) -> Trajectory:
    """``turns``: each a list of ``call(...)`` dicts (a tool turn) or a string (an answer turn)."""
    steps = []
    n = 0
    for t, turn in enumerate(turns):
        if isinstance(turn, str):
            action, observation = Message.assistant(turn), []
        else:
            calls, observation = [], []
            for c in turn:
                cid = f"c{n}"
                n += 1
                calls.append(ToolCall(id=cid, name=c["name"], arguments=c["arguments"]))
                if c["result"] is not None or c["error"] is not None:
                    observation.append(ToolResult(call_id=cid, name=c["name"], content=str(c["result"] or "failed"),
                                                  error=c["error"]).to_message())
            action = Message.assistant("", calls)
        steps.append(Step(index=t, action=action, observation=observation,
                          reward_components=(components[t] if components else {}),
                          violations=[Violation(constraint="x", message="broke x")] if t in violations else [],
                          terminated=t == len(turns) - 1))
    task = Task(id="t-0", env=env, split="test", instruction=instruction, gold=gold or {})
    return Trajectory(id="t-0#0", env=env, env_version="0.1.0", task=task,
                      initial_messages=[Message.user(instruction)], tools=tools or [], steps=steps, terminated=True,
                      metrics=metrics or {})


@pytest.fixture
def make_traj():
    return build


@pytest.fixture
def tc():
    return call
