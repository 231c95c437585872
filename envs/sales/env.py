"""DuCA-style sales dialogue: an agent sells to a simulated customer (see README.md).

Every agent turn earns separate linguistic rewards (``turn_reward``: fluency, compliance, repetition,
identity detection) and the session ends in a conversion or not (``score``: conversion, order value).
They are never summed here: dual-horizon estimators normalise the two horizons separately.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agentgym.env import AgentEnv, Turn
from agentgym.errors import ConfigError
from agentgym.simulators import UserSimulator
from agentgym.types import Task, ToolCall, Trajectory, Violation

from agentgym.envs.sales.compliance import check_call, check_text
from agentgym.envs.sales.customer import Customer, LLMCustomer
from agentgym.envs.sales.generator import generate_customer
from agentgym.envs.sales.oracle import PushySeller, SalesOracle
from agentgym.envs.sales.text import fluency, history_ngrams, repetition

SPLIT_SIZES = {"test": 300, "train": 3000}
#: per-turn reward components, each in [0, 1] (README: "Rewards")
TURN_REWARDS = ("fluency", "compliance", "repetition", "identity_detection", "spoke")


class SalesEnv(AgentEnv):
    name = "sales"
    version = "0.1.0"
    splits = ("test", "train")
    world_factory = "agentgym.envs.sales.world:SalesWorld"
    default_max_turns = 24
    headline_metrics = ("conversion_rate", "mean_order_value", "compliance_violation_rate", "repetition_rate",
                        "identity_detection_rate", "turns_to_close")
    default_rubric = "sales"

    def __init__(self, split: str = "test", *, simulator: str = "scripted", user_model: str | None = None,
                 user_base_url: str | None = None, **kwargs: Any):
        """``simulator``: ``scripted`` (default, seeded) or ``llm`` (same hidden state and decisions; the
        wording by ``user_model`` through ``LLMUserSimulator``)."""
        if simulator not in ("scripted", "llm"):
            raise ConfigError(f"simulator must be 'scripted' or 'llm', not {simulator!r}")
        if simulator == "llm" and not user_model:
            raise ConfigError("simulator='llm' needs user_model (a litellm model name)")
        super().__init__(split, **kwargs)
        self.simulator, self.user_model, self.user_base_url = simulator, user_model, user_base_url

    @classmethod
    def generate_tasks(cls, split: str) -> list[Task]:
        return [generate_customer(split, i) for i in range(SPLIT_SIZES[split])]

    def make_user(self, task: Task) -> UserSimulator:
        if self.simulator == "llm":
            assert self.user_model is not None
            return LLMCustomer(self.user_model, base_url=self.user_base_url)
        return Customer()

    # ------------------------------------------------------------------ compliance and rewards
    def _said(self, turn: Turn) -> list[str]:
        out = [s.action.content for s in self.steps if s.action.content]
        return out + ([turn.action.content] if turn.action.content else [])

    def _agreed(self) -> bool:
        """The customer's latest decision (turns answered by a noise wrapper instead of it carry none)."""
        for step in reversed(self.steps):
            user = step.info.get("user")
            if user is not None and "agreed" in user:
                return bool(user["agreed"])
        return False

    def check_tool_call(self, call: ToolCall, turn: Turn) -> list[Violation]:
        assert self.task is not None
        return check_call(call, self.task.world["policy"], self._said(turn), self._agreed())

    def turn_reward(self, turn: Turn) -> dict[str, float]:
        """Fluency, compliance (1 = no violation this turn), repetition and identity detection, in [0, 1].
        Turns that say nothing to the customer (tool calls only) score fluency 1, repetition 0, detection 0
        and ``spoke`` 0 so a trainer can mask them."""
        assert self.task is not None
        text = turn.action.content
        if text:
            quotes = (self.session.snapshot().get("quotes") or {}).values() if self.session else []
            turn.violations.extend(check_text(text, self.task.world["line"], self.task.world["policy"], quotes))
        previous = [s.action.content for s in self.steps if s.action.content]
        detected = turn.user_reply.info.get("detected_bot", 0) if turn.user_reply is not None else 0
        return {
            "fluency": fluency(text) if text else 1.0,
            "compliance": 0.0 if turn.violations else 1.0,
            "repetition": repetition(text, history_ngrams(previous)) if text and previous else 0.0,
            "identity_detection": float(detected),
            "spoke": 1.0 if text else 0.0,
        }

    # ------------------------------------------------------------------ scoring
    @classmethod
    def score(cls, trajectory: Trajectory) -> dict[str, Any]:
        order, close_turn = None, None
        for step in trajectory.steps:
            for m in step.observation:
                if m.role == "tool" and m.name == "place_order" and not m.error and order is None:
                    order, close_turn = json.loads(m.content), step.index + 1
        steps = trajectory.steps
        spoken = [s for s in steps if s.action.content]
        heard = [s for s in steps if "user" in s.info]
        violating = [s for s in steps if s.violations]
        rep = [s.reward_components.get("repetition", 0.0) for s in spoken]
        flu = [s.reward_components.get("fluency", 0.0) for s in spoken]
        detections = sum(int(s.info["user"].get("detected_bot", 0)) for s in heard)
        convertible = bool(trajectory.task.gold.get("convertible"))
        conversion = order is not None
        rules: dict[str, int] = {}
        for s in steps:
            for v in s.violations:
                rules[v.constraint] = rules.get(v.constraint, 0) + 1
        last_user = next((s.info["user"] for s in reversed(heard)), {})
        return {
            "success": conversion == convertible and not violating,
            "reward": float(conversion),
            "conversion": int(conversion),
            "convertible": convertible,
            "order_value": float(order["price"]) if order else 0.0,
            "turns_to_close": close_turn,
            "turns": len(steps),
            "compliance_violations": sum(rules.values()),
            "violations_by_rule": rules,
            "compliance_violation_rate": len(violating) / len(steps) if steps else 0.0,
            "repetition_rate": sum(rep) / len(rep) if rep else 0.0,
            "fluency": sum(flu) / len(flu) if flu else 0.0,
            "identity_detection_rate": detections / len(heard) if heard else 0.0,
            "customer_outcome": last_user.get("intent"),
            "n_turns": len(steps), "n_spoken": len(spoken), "n_heard": len(heard),
            "n_violating": len(violating), "repetition_sum": sum(rep), "detections": detections,
        }

    @classmethod
    def aggregate(cls, trajectories: Sequence[Trajectory]) -> dict[str, Any]:
        """Conversion and order value per session; the turn-level rates pooled over every turn."""
        ms = [t.metrics for t in trajectories if t.metrics]
        if not ms:
            return {}
        converted = [m for m in ms if m["conversion"]]
        convertible = [m for m in ms if m["convertible"]]
        n_turns, n_spoken, n_heard = (sum(m[k] for m in ms) for k in ("n_turns", "n_spoken", "n_heard"))
        return {
            "conversion_rate": len(converted) / len(ms),
            "conversion_rate_convertible": (sum(m["conversion"] for m in convertible) / len(convertible)
                                            if convertible else 0.0),
            "mean_order_value": (sum(m["order_value"] for m in converted) / len(converted)) if converted else 0.0,
            "compliance_violation_rate": sum(m["n_violating"] for m in ms) / n_turns if n_turns else 0.0,
            "compliance_violations": sum(m["compliance_violations"] for m in ms),
            "repetition_rate": sum(m["repetition_sum"] for m in ms) / n_spoken if n_spoken else 0.0,
            "identity_detection_rate": sum(m["detections"] for m in ms) / n_heard if n_heard else 0.0,
            "turns_to_close": (sum(m["turns_to_close"] for m in converted) / len(converted)) if converted else 0.0,
            "fluency": sum(m["fluency"] * m["n_spoken"] for m in ms) / n_spoken if n_spoken else 0.0,
        }

    def make_oracle(self, task: Task, strategy: str = "oracle", **options: Any) -> SalesOracle | PushySeller:
        """``strategy``: ``oracle`` (converts every convertible customer, no violations) or ``pushy``."""
        if strategy == "pushy":
            return PushySeller(task)
        if strategy != "oracle":
            raise ConfigError(f"unknown sales strategy {strategy!r}; choose oracle or pushy")
        return SalesOracle(task)
