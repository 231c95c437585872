"""AMemGym: on-policy evaluation of an assistant's memory over months of sessions (see README.md).

One task is one user. The episode replays the user's sessions period by period; after each period the
user asks the multiple-choice questions and probes the assistant's belief about every variable the
questions depend on. The assistant may answer from its context or keep notes with the memory tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentgym.env import AgentEnv
from agentgym.errors import ConfigError
from agentgym.simulators import UserSimulator
from agentgym.types import Task, Trajectory
from agentgym.world import WorldSpec

from agentgym.envs.memory.generator import generate_user
from agentgym.envs.memory.oracle import MemoryOracle
from agentgym.envs.memory.record import UserRecord, load_records
from agentgym.envs.memory.scoring import aggregate_memory, score_memory
from agentgym.envs.memory.simulator import LLMFollowUp, MemoryUser, build_script

SYSTEM = ("You are a personal assistant who talks with the same user in many sessions over months. The user's "
          "circumstances and preferences change over time; keep track of what they tell you (you may use the "
          "memory_write / memory_search / memory_delete tools) so that your advice fits their *current* "
          "situation. When asked a multiple-choice question, answer with the JSON the user asks for.")
SPLIT_SIZES = {"test": 20, "train": 100}


class MemoryEnv(AgentEnv):
    name = "memory"
    version = "0.1.0"
    splits = ("test", "train")
    world_factory = "agentgym.envs.memory.world:MemoryWorld"
    default_max_turns = 2000
    headline_metrics = ("accuracy", "random_baseline", "upper_bound", "normalized_memory_score",
                        "memory_success_rate", "write_failure_rate", "read_failure_rate",
                        "utilisation_failure_rate")
    default_rubric = "memory"

    def __init__(self, split: str = "test", *, data: str | Path | None = None, rounds_init: int = 1,
                 rounds_update: int = 2, eval_mode: str = "period", upper_bound: str = "rule",
                 memory_tools: bool = True, simulator: str = "scripted", user_model: str | None = None,
                 user_base_url: str | None = None, max_turns: int | None = None, **kwargs: Any):
        """``data``: AMemGym's released JSON (then the tasks are its users, split ``data``).
        ``eval_mode``: ``period`` (questions after every period, as released) or ``end``.
        ``upper_bound``: ``rule`` (1.0: a policy given the gold state answers correctly -- exact for the
        scripted policies) or ``probe`` (ask each question again with the gold state stated).
        ``simulator``: ``scripted`` (default) or ``llm`` (follow-up rounds by ``user_model``)."""
        if eval_mode not in ("period", "end"):
            raise ConfigError(f"eval_mode must be 'period' or 'end', not {eval_mode!r}")
        if upper_bound not in ("rule", "probe"):
            raise ConfigError(f"upper_bound must be 'rule' or 'probe', not {upper_bound!r}")
        if simulator not in ("scripted", "llm"):
            raise ConfigError(f"simulator must be 'scripted' or 'llm', not {simulator!r}")
        if simulator == "llm" and not user_model:
            raise ConfigError("simulator='llm' needs user_model (a litellm model name)")
        if data is not None:
            kwargs["tasks"] = tasks_from_data(data)
            split = "data"
        super().__init__(split, max_turns=max_turns, **kwargs)
        self._fixed_max_turns = max_turns is not None
        self.script_options = {"rounds_init": rounds_init, "rounds_update": rounds_update,
                               "eval_mode": eval_mode, "upper_bound": upper_bound}
        self.memory_tools = memory_tools
        self.simulator = simulator
        self.user_model, self.user_base_url = user_model, user_base_url

    @classmethod
    def load_split(cls, split: str) -> list[Task]:
        """A built-in split, or the path of AMemGym's released JSON (so ``agentgym run memory --split
        data/v1.base/data.json`` runs the official users)."""
        if split.endswith((".json", ".jsonl")):
            return tasks_from_data(split)
        if split == "data":
            raise ConfigError("split 'data' exists only with data=PATH, or pass the JSON file's path as the split")
        return super().load_split(split)

    @classmethod
    def generate_tasks(cls, split: str) -> list[Task]:
        n = SPLIT_SIZES[split]
        return [task_from_record(generate_user(f"{split}-{i:03d}", f"amemgym/{split}/{i}"), split, i)
                for i in range(n)]

    # ------------------------------------------------------------------ hooks
    def world_spec(self, task: Task) -> WorldSpec | None:
        return super().world_spec(task) if self.memory_tools else None

    def make_user(self, task: Task) -> UserSimulator:
        follow_up = LLMFollowUp(self.user_model, base_url=self.user_base_url) \
            if self.simulator == "llm" and self.user_model else None
        return MemoryUser(**self.script_options, follow_up=follow_up)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        obs, info = super().reset(seed=seed, options=options)
        if not self._fixed_max_turns:  # room for a tool turn and a retry around every user prompt
            assert self.task is not None
            n = len(build_script(UserRecord.model_validate(self.task.user), **self.script_options))
            self.max_turns = 4 * n + 20
            info["max_turns"] = self.max_turns
        return obs, info

    @classmethod
    def score(cls, trajectory: Trajectory) -> dict[str, Any]:
        return score_memory(trajectory)

    @classmethod
    def aggregate(cls, trajectories: Sequence[Trajectory]) -> dict[str, Any]:
        return aggregate_memory(trajectories)

    def make_oracle(self, task: Task, memory: str = "perfect", **options: Any) -> MemoryOracle:
        """``memory``: perfect (the oracle), none, first or recent:K (baselines; see oracle.py)."""
        return MemoryOracle(task, memory=memory, script_options=self.script_options)


def task_from_record(record: dict[str, Any], split: str, index: int) -> Task:
    """A task for one AMemGym user: the record is what the simulated user knows; gold is derived."""
    rec = UserRecord.model_validate(record)
    gold = [[rec.gold_choice(q, p) for q in range(len(rec.qas))] for p in range(len(rec.periods))]
    n_sessions = sum(len(p.sessions) for p in rec.periods)
    return Task(id=f"memory-{split}-{index:03d}" if split != "data" else str(rec.id), env="memory",
                split=split, seed=index, category=f"{len(rec.periods)}p-{len(rec.qas)}q",
                system_prompt=SYSTEM, user=record, world={"notes": {}},
                gold={"answers": gold, "required_info": rec.required_variables()},
                metadata={"user_id": rec.id, "sessions": n_sessions})


def tasks_from_data(path: str | Path) -> list[Task]:
    """Tasks for every user of an AMemGym released-format file (split ``data``; ids are the user ids)."""
    return [task_from_record(r.model_dump(mode="json"), "data", i) for i, r in enumerate(load_records(path))]
