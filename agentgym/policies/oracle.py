"""The oracle policy plays each task's gold solution through the env's own oracle.

It proves every task is solvable (a run with it must score 100%) and is the reference the sandbox
backends compare trajectories against.
"""

from __future__ import annotations

from typing import Any

from agentgym.policies.base import Observation, Policy, PolicyOutput
from agentgym.types import Task


class OraclePolicy(Policy):
    name = "oracle"

    def __init__(self, **oracle_options: Any):
        self.options = oracle_options
        self._oracles: dict[str, Any] = {}

    def config(self) -> dict[str, Any]:
        return {"name": self.name, **self.options}

    async def begin(self, episode_id: str, task: Task, seed: int, env: Any = None) -> None:
        if env is None:
            raise ValueError("the oracle policy needs the env to build the task's oracle")
        from agentgym.noise.oracle import wrap_oracle

        # under noise, the oracle retries noisy calls and asks for clarification (see agentgym.noise.oracle)
        self._oracles[episode_id] = wrap_oracle(env.unwrapped.make_oracle(task, **self.options), env)

    async def act(self, observation: Observation) -> PolicyOutput:
        return PolicyOutput(self._oracles[observation.episode_id].act(observation.messages))

    async def end(self, episode_id: str) -> None:
        self._oracles.pop(episode_id, None)
