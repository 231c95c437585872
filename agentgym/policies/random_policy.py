"""The ``random`` policy: seeded random tool calls and text, a floor for every metric.

Each turn, with probability ``p_tool``, it calls a random offered tool with arguments drawn from the tool's
JSON Schema (types, enums, bounds; sometimes a wrong type when ``p_invalid`` > 0, to exercise validation);
otherwise it says a random short sentence. Choices depend only on (seed, episode id, turn), so a run with
this policy is exactly reproducible.
"""

from __future__ import annotations

import random
import string
from typing import Any

from agentgym.policies.base import Observation, Policy, PolicyOutput
from agentgym.types import Message, ToolCall

_WORDS = ("yes", "no", "done", "the", "answer", "is", "maybe", "ok", "please", "check", "again", "result")


class RandomPolicy(Policy):
    name = "random"

    def __init__(self, seed: int = 0, p_tool: float = 0.7, p_invalid: float = 0.0):
        self.seed, self.p_tool, self.p_invalid = seed, p_tool, p_invalid

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "seed": self.seed, "p_tool": self.p_tool, "p_invalid": self.p_invalid}

    async def act(self, observation: Observation) -> PolicyOutput:
        rng = random.Random(f"{self.seed}:{observation.seed}:{observation.episode_id}:{observation.turn}")
        tools = observation.tools
        if tools and rng.random() < self.p_tool:
            spec = rng.choice(tools)
            spec = spec.get("function", spec)
            args = self._value(spec.get("parameters") or {"type": "object"}, rng, depth=0)
            call = ToolCall(id=f"call_{observation.turn}", name=spec["name"],
                            arguments=args if isinstance(args, dict) else {})
            return PolicyOutput(Message.assistant("", [call]))
        return PolicyOutput(Message.assistant(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 8)))))

    def _value(self, schema: dict[str, Any], rng: random.Random, depth: int) -> Any:
        if self.p_invalid and rng.random() < self.p_invalid:
            return rng.choice([None, "??", -1, [], {}])
        if "enum" in schema:
            return rng.choice(schema["enum"])
        if "const" in schema:
            return schema["const"]
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                return self._value(rng.choice(schema[key]), rng, depth)
        kind = schema.get("type", "string")
        if isinstance(kind, list):
            kind = rng.choice(kind)
        if kind == "object":
            props = schema.get("properties") or {}
            required = set(schema.get("required") or [])
            return {k: self._value(v, rng, depth + 1) for k, v in props.items()
                    if depth < 3 and (k in required or rng.random() < 0.5)}
        if kind == "array":
            n = rng.randint(schema.get("minItems", 0), max(schema.get("minItems", 0), min(schema.get("maxItems", 3), 3)))
            return [self._value(schema.get("items") or {}, rng, depth + 1) for _ in range(n)] if depth < 3 else []
        if kind == "integer":
            return rng.randint(int(schema.get("minimum", -10)), int(schema.get("maximum", 100)))
        if kind == "number":
            return round(rng.uniform(float(schema.get("minimum", -10)), float(schema.get("maximum", 100))), 3)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "null":
            return None
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 10)))
