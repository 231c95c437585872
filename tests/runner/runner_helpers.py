"""Helpers for runner tests (imported by name; pytest puts this folder on sys.path): small policies that exercise the engine's failure paths."""

from __future__ import annotations

import asyncio
from typing import Any


from agentgym.errors import InfrastructureError
from agentgym.policies import OraclePolicy
from agentgym.policies.base import Observation, PolicyOutput
from agentgym.types import Message


class SlowOracle(OraclePolicy):
    """The oracle, taking ``delay_s`` per turn (so a run can be killed halfway).

    With ``flaky`` it gives up (a wrong answer) in episodes whose seed is divisible by 3, so scores are
    mixed and depend on the per-episode seeds the engine derives.
    """

    name = "slow-oracle"

    def __init__(self, delay_s: float = 0.01, flaky: bool = False):
        super().__init__()
        self.delay_s, self.flaky = delay_s, flaky

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "flaky": self.flaky}

    async def act(self, observation: Observation) -> PolicyOutput:
        await asyncio.sleep(self.delay_s)
        if self.flaky and observation.seed % 3 == 0:
            return PolicyOutput(Message.assistant("ANSWER: -1"))
        return await super().act(observation)


class FlakyOracle(OraclePolicy):
    """The oracle, but every call in episodes whose task id is in ``broken`` fails like a dead provider."""

    name = "flaky-oracle"

    def __init__(self, broken: set[str], status_code: int = 500, retryable: bool = False):
        super().__init__()
        self.broken, self.status_code, self.retryable = broken, status_code, retryable
        self.calls = 0

    def config(self) -> dict[str, Any]:
        return {"name": self.name}

    async def act(self, observation: Observation) -> PolicyOutput:
        self.calls += 1
        if observation.episode_id.split("#")[0] in self.broken:
            raise InfrastructureError("provider down", retryable=self.retryable, status_code=self.status_code)
        return await super().act(observation)


