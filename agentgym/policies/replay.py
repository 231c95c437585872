"""The ``replay`` policy: re-plays the assistant actions of stored trajectories.

Given a run's ``trajectories.jsonl``, each episode plays back the actions of the stored trajectory with the
same episode id (``<task id>#<sample>``), falling back to the first stored trajectory of the same task.
Replaying against the same env version and seed reproduces the episode, which is how a run is audited or a
sandbox backend is checked against another. When the stored actions run out the policy sends an empty
message. Usage and token data are replayed too, so a replayed run reports the original costs.

    make_policy("replay", path="runs/r1/trajectories.jsonl")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentgym.errors import ConfigError, TaskFileError
from agentgym.policies.base import Observation, Policy, PolicyOutput
from agentgym.types import Message, Step, Task, Trajectory


class ReplayPolicy(Policy):
    name = "replay"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise ConfigError(f"replay: no trajectories file at {self.path}")
        self.by_id: dict[str, Trajectory] = {}
        self.by_task: dict[str, Trajectory] = {}
        for n, line in enumerate(self.path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                traj = Trajectory.model_validate_json(line)
            except ValueError as exc:
                raise TaskFileError(str(self.path), n, f"not a trajectory: {str(exc)[:300]}") from exc
            self.by_id.setdefault(traj.id, traj)
            self.by_task.setdefault(traj.task.id, traj)
        self._steps: dict[str, list[Step]] = {}
        self._turns: dict[str, int] = {}

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path)}

    async def begin(self, episode_id: str, task: Task, seed: int, env: Any = None) -> None:
        traj = self.by_id.get(episode_id) or self.by_task.get(task.id)
        if traj is None:
            raise ConfigError(f"replay: {self.path} has no trajectory for episode {episode_id!r} "
                              f"(task {task.id!r})")
        self._steps[episode_id] = list(traj.steps)
        self._turns[episode_id] = 0

    async def act(self, observation: Observation) -> PolicyOutput:
        steps = self._steps.get(observation.episode_id)
        if steps is None:
            raise ConfigError(f"replay: episode {observation.episode_id!r} was not begun")
        i = self._turns[observation.episode_id]
        self._turns[observation.episode_id] = i + 1
        if i >= len(steps):
            return PolicyOutput(Message.assistant(""))
        return PolicyOutput(steps[i].action, usage=steps[i].usage, tokens=steps[i].tokens)

    async def end(self, episode_id: str) -> None:
        self._steps.pop(episode_id, None)
        self._turns.pop(episode_id, None)
