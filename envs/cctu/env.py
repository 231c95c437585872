"""``CCTUEnv``: tool use under complex constraints (CCTU), validated at every step. See README.md.

Tool calls are checked before they run (toolset, resource and behaviour validators); a violating call is
not executed and its tool message is ``INSTRUCTION FOLLOWING ERROR: <constraint> NOT FOLLOWED! ...``. A
final answer is checked by the response validators and the minimum (min rounds / calls / parallelism)
validators; violations come back as a user message so the model can refine. The episode ends on a clean
final answer or at the turn limit (20).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentgym.env import AgentEnv, Turn
from agentgym.errors import ConfigError
from agentgym.types import Message, Task, ToolCall, Trajectory, Violation, canonical_json
from agentgym.world import WorldSpec
from agentgym.envs.cctu import generator, scoring
from agentgym.envs.cctu.official import load_official
from agentgym.envs.cctu.oracle import CCTUOracle
from agentgym.envs.cctu.validators import CATEGORIES, AvailableTools, History, ToolArguments, Validator, \
    build_validators
from agentgym.envs.cctu.world import CHECKER_CALL

#: results of these kinds never reached the tool, so they do not count as spent calls
_NOT_SPENT = ("constraint", "noise")


class CCTUEnv(AgentEnv):
    name = "cctu"
    version = "0.1.0"
    splits = ("test", "train")
    world_factory = "agentgym.envs.cctu.world:CCTUWorld"
    default_max_turns = 20
    headline_metrics = ("sr", "psr")
    default_rubric = "cctu"

    def __init__(self, split: str = "test", *, data: str | Path | None = None, **kwargs: Any):
        """``data``: a folder (or ``input_data.jsonl``) in CCTU's released format to run instead of the
        generated split."""
        if data is not None:
            kwargs["tasks"] = load_official(data, split=split)
        super().__init__(split, **kwargs)
        self._validators: dict[str, list[Validator]] = {}

    # ------------------------------------------------------------------ tasks and world
    @classmethod
    def generate_tasks(cls, split: str) -> list[Task]:
        return generator.generate(split)

    def world_spec(self, task: Task) -> WorldSpec:
        return WorldSpec(factory=self.world_factory or "", config=task.world)

    def opening_messages(self, task: Task) -> list[Message]:
        official = task.metadata.get("messages")
        if official:  # CCTU's own prompt, constraints included
            return [Message(role=m["role"], content=m.get("content") or "") for m in official
                    if m.get("role") in ("system", "user")]
        return super().opening_messages(task)

    def validators(self, task: Task) -> list[Validator]:
        """The task's validators; the toolset checks always run, as CCTU's argument checker does."""
        if task.id not in self._validators:
            found = [v for c in task.constraints for v in build_validators(c)]
            kinds = {type(v) for v in found}
            found += [cls({}) for cls in (AvailableTools, ToolArguments) if cls not in kinds]
            self._validators[task.id] = found
        return self._validators[task.id]

    # ------------------------------------------------------------------ step-level validation
    def history(self, turn: Turn, upto: int | None = None) -> History:
        """What the episode has spent before call ``upto`` of this turn (``None``: the whole turn).

        A turn that only re-issues calls whose results noise injected or altered (a noise wrapper's detour)
        is folded into the turn it repairs: it is not a new round, and the tainted calls are not spent.
        """
        turns: list[list[str]] = []  # spent tool names per round
        names: list[list[str]] = []  # every call name per round
        pending: set[tuple[str, str]] = set()  # tainted calls awaiting a repair
        for step in self.steps:
            calls = step.action.tool_calls
            results = [m for m in step.observation if m.role == "tool"]
            tainted = {e.call_id for e in step.noise if e.source == "tool"} | \
                {r.tool_call_id for r in results if r.error == "noise"}
            spent = [c.name for c, r in zip(calls, results, strict=False)
                     if r.error not in _NOT_SPENT and c.id not in tainted]
            repair = _is_repair(calls, pending) and bool(turns)
            if repair:
                turns[-1].extend(spent)
                names[-1].extend(c.name for c in calls)
            else:
                turns.append(spent)
                names.append([c.name for c in calls])
            pending = {_key(c) for c in calls if c.id in tainted} | (pending - {_key(c) for c in calls} if repair
                                                                      else set())
        calls = turn.action.tool_calls
        upto = len(calls) if upto is None else upto
        current = [calls[j].name for j in range(upto)
                   if turn.results[j] is None or turn.results[j].error not in _NOT_SPENT]
        message_calls = [c.name for c in calls]
        if _is_repair(calls, pending) and turns:
            current = turns.pop() + current
            message_calls = names.pop() + message_calls
        tools = {s["name"]: s.get("parameters") or {} for s in self.tool_specs}
        return History(rounds=len(turns), turns=turns, current=current, message_calls=message_calls,
                       tools=tools, run_checker=self._run_checker)

    def check_tool_call(self, call: ToolCall, turn: Turn) -> list[Violation]:
        index = next(i for i, c in enumerate(turn.action.tool_calls) if c is call)
        h = self.history(turn, index)
        return [v for validator in self.validators(self.task) for v in validator.check_call(call, h)]

    def blocked_call_message(self, call: ToolCall, violations: list[Violation]) -> str:
        return "\n".join(_error_line(v) for v in violations) + f"\nThe call to '{call.name}' was not executed."

    def check_final_answer(self, message: Message, turn: Turn) -> list[Violation]:
        h = self.history(turn)
        return [v for validator in self.validators(self.task) for v in validator.check_final(message.content, h)]

    def feedback_message(self, violations: list[Violation]) -> Message:
        return Message.user("Your answer was not accepted:\n" + "\n".join(_error_line(v) for v in violations) +
                            "\nRevise your answer (or continue working) so that every constraint holds.")

    def _run_checker(self, key: str, response: str) -> tuple[bool, str]:
        """Run a task-supplied response checker in the task's sandbox session."""
        assert self.session is not None
        result = self.session.call(ToolCall(id=f"checker:{key}", name=CHECKER_CALL,
                                            arguments={"checker": key, "response": response}), self.call_timeout)
        if result.error:
            return False, f"checker {key} failed: {result.content}"
        verdict = json.loads(result.content)
        return bool(verdict["ok"]), str(verdict["message"])

    def turn_reward(self, turn: Turn) -> dict[str, float]:
        return {"constraint_violations": -float(len(turn.violations))}

    # ------------------------------------------------------------------ scoring and oracle
    @classmethod
    def score(cls, trajectory: Trajectory) -> dict[str, Any]:
        return scoring.score(trajectory)

    @classmethod
    def aggregate(cls, trajectories: Sequence[Trajectory]) -> dict[str, Any]:
        return scoring.aggregate(trajectories)

    def make_oracle(self, task: Task, **options: Any) -> CCTUOracle:
        """``mode``: ``gold`` (default), ``refine`` or ``ignore`` (see oracle.py)."""
        if "plan" not in task.gold:
            raise ConfigError(f"task {task.id} has no gold tool-call plan (official CCTU data ships none); "
                              "the oracle runs on generated tasks only")
        return CCTUOracle(task, mode=options.get("mode", "gold"))


def _key(call: ToolCall) -> tuple[str, str]:
    return call.name, canonical_json(call.arguments)


def _is_repair(calls: list[ToolCall], pending: set[tuple[str, str]]) -> bool:
    return bool(calls) and all(_key(c) in pending for c in calls)


def _error_line(v: Violation) -> str:
    title = CATEGORIES[v.category][1] if v.category in CATEGORIES else v.constraint
    return f"INSTRUCTION FOLLOWING ERROR: {title} NOT FOLLOWED! {v.message}"
