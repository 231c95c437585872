"""A minimal example env: arithmetic word problems solved with calculator tools.

Small enough to read in one sitting; it shows every hook an env family fills in and is what the docs,
the tests and the step benchmark use.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from agentgym.env import AgentEnv
from agentgym.types import Message, Task, ToolCall, Trajectory

SYSTEM = ("You are a careful assistant. Use the calculator tools for every arithmetic step, then reply with "
          "the final number only, as 'ANSWER: <number>'.")
_OPS = {"add": ("+", lambda a, b: a + b), "subtract": ("-", lambda a, b: a - b),
        "multiply": ("*", lambda a, b: a * b)}
_ANSWER = re.compile(r"ANSWER:\s*(-?\d+(?:\.\d+)?)")


class CalculatorEnv(AgentEnv):
    name = "calculator"
    version = "0.1.0"
    splits = ("test", "train")
    world_factory = "agentgym.envs.calculator.world:CalculatorWorld"
    default_max_turns = 10
    headline_metrics = ("success_rate", "tool_calls")
    default_rubric = "calculator"

    @classmethod
    def generate_tasks(cls, split: str) -> list[Task]:
        rng = random.Random(f"calculator/{split}")
        n = {"test": 20, "train": 200}[split]
        tasks = []
        for i in range(n):
            steps = rng.randint(1, 3)
            value: float = rng.randint(1, 50)
            constants = {"rate": rng.randint(2, 9)}
            plan: list[dict[str, Any]] = []
            calls: list[dict[str, Any]] = []
            start, text = value, str(value)
            for _ in range(steps):
                op = rng.choice(list(_OPS))
                use_constant = rng.random() < 0.3
                operand: Any = "rate" if use_constant else rng.randint(1, 20)
                b = constants["rate"] if use_constant else operand
                symbol, fn = _OPS[op]
                text = f"({text} {symbol} {operand})"
                plan.append({"tool": op, "b": b, "constant": use_constant})
                calls.append({"name": op, "arguments": {"a": value, "b": b}})
                value = fn(value, b)
            if any(p["constant"] for p in plan):
                calls.insert(0, {"name": "lookup", "arguments": {"name": "rate"}})
            tasks.append(Task(
                id=f"calc-{split}-{i:04d}", env=cls.name, split=split, seed=i,
                category=f"{steps}-step", instruction=f"Compute {text}. The constant 'rate' is in the table.",
                system_prompt=SYSTEM, world={"constants": constants},
                gold={"answer": value, "start": start, "plan": plan, "calls": calls,
                      "steps": len(calls) + 1},
            ))
        return tasks

    @classmethod
    def score(cls, trajectory: Trajectory) -> dict[str, Any]:
        answer = None
        for step in reversed(trajectory.steps):
            if not step.action.tool_calls:
                m = _ANSWER.search(step.action.content)
                answer = float(m.group(1)) if m else None
                break
        gold = float(trajectory.task.gold["answer"])
        calls = sum(len(s.action.tool_calls) for s in trajectory.steps)
        return {"success": answer is not None and abs(answer - gold) < 1e-6, "answer": answer,
                "tool_calls": calls, "turns": len(trajectory.steps)}

    def make_oracle(self, task: Task, **options: Any) -> CalculatorOracle:
        return CalculatorOracle(task)


class CalculatorOracle:
    """Looks up the constant when the plan needs it, chains the tool calls, then answers."""

    def __init__(self, task: Task):
        self.task = task
        self.plan = list(task.gold["plan"])
        self.position = 0
        self.value: float = task.gold["start"]
        self.looked_up = False

    def act(self, messages: Sequence[Message]) -> Message:
        last = messages[-1]
        if last.role == "tool":
            if last.error:  # retry the same step after a (noisy) failure
                return self._call(self.position - 1)
            self.value = float(last.content) if last.name != "lookup" else self.value
        if any(p["constant"] for p in self.plan) and not self.looked_up:
            self.looked_up = True
            return Message.assistant("", [ToolCall(id="call_lookup", name="lookup", arguments={"name": "rate"})])
        if self.position < len(self.plan):
            self.position += 1
            return self._call(self.position - 1)
        value = int(self.value) if self.value == int(self.value) else self.value
        return Message.assistant(f"ANSWER: {value}")

    def _call(self, i: int) -> Message:
        if i < 0:  # the lookup failed
            return Message.assistant("", [ToolCall(id="call_lookup", name="lookup", arguments={"name": "rate"})])
        step = self.plan[i]
        return Message.assistant("", [ToolCall(id=f"call_{i}", name=step["tool"],
                                               arguments={"a": self.value, "b": step["b"]})])
