"""JFTA-Bench in agentgym: guide a technician through a fault tree to the failed component (see README.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from agentgym.env import AgentEnv, Turn
from agentgym.envs.faulttree.generator import (
    VAGUE_RATE,
    build_tree_data,
    generate_entries,
    load_library_tree,
    tree_digest,
)
from agentgym.envs.faulttree.metrics import score_trajectory
from agentgym.envs.faulttree.oracle import FaultTreeOracle
from agentgym.envs.faulttree.tree import FaultTree, FaultTreeError, parse_tree
from agentgym.envs.faulttree.user import TechnicianUser, technician_persona
from agentgym.errors import ConfigError
from agentgym.simulators import UserSimulator
from agentgym.types import Task, Trajectory
from agentgym.world import WorldSpec

SYSTEM = """You are an expert diagnostician guiding a field technician through a fault tree to find why a \
piece of equipment fails. The technician cannot see the tree; you can, through your tools:
- view_tree: the tree (or a sub-tree) with node ids, labels, gates (OR / XOR: one failed child explains the \
event; AND: every child must have failed) and the findings you recorded;
- lookup_component: one node's check, its possible observations (normal / abnormal) and, for basic events, fixes;
- record_finding: write down what a check showed;
- propose_diagnosis: the failed basic event(s) and the fix for each.
Work top-down: ask the technician to perform the check of one node at a time, naming its id (e.g. \
"please check HV03-017: ..."), in a message without tool calls. Answers can be vague — then ask again. The \
technician may later correct an earlier report; revisit the affected branch when that happens. When the \
evidence is clear, call propose_diagnosis, then tell the technician the diagnosis."""


class FaultTreeEnv(AgentEnv):
    name = "faulttree"
    version = "0.1.0"
    splits = ("test", "train")
    world_factory = "agentgym.envs.faulttree.world:FaultTreeWorld"
    default_max_turns = 150
    headline_metrics = ("root_cause_accuracy", "fix_accuracy", "path_efficiency", "recovery_rate", "turns",
                        "premature_conclusions")
    default_rubric = "faulttree"
    user_kinds: ClassVar[tuple[str, ...]] = ("scripted", "llm")

    def __init__(self, split: str = "test", *, user: str = "scripted", user_model: str | None = None,
                 user_base_url: str | None = None, vague_rate: float | None = None, **kwargs: Any):
        if user not in self.user_kinds:
            raise ConfigError(f"faulttree: unknown user {user!r}; choose one of: {', '.join(self.user_kinds)}")
        if user == "llm" and not user_model:
            raise ConfigError("faulttree: user='llm' needs user_model (a litellm model name)")
        if vague_rate is not None and not 0.0 <= vague_rate <= 1.0:
            raise ConfigError(f"faulttree: vague_rate must be in [0, 1], got {vague_rate}")
        super().__init__(split, **kwargs)
        self.user_kind, self.user_model, self.user_base_url = user, user_model, user_base_url
        self.vague_rate = vague_rate

    # ------------------------------------------------------------------ tasks and trees
    @classmethod
    def generate_tasks(cls, split: str) -> list[Task]:
        tasks = []
        for i, e in enumerate(generate_entries(split)):
            tree = load_library_tree(e["tree_id"])
            tasks.append(Task(
                id=f"faulttree-{split}-{i:04d}", env=cls.name, split=split, seed=i, category=tree.domain,
                instruction=e["instruction"], system_prompt=SYSTEM,
                user={"vague_rate": VAGUE_RATE, "observations": e["observations"], "rollback": e["rollback"]},
                world={"tree_id": e["tree_id"], "tree_sha256": tree_digest(e["tree_id"])},
                gold={"root_causes": e["causes"], "fixes": e["fixes"], "route": e["route"],
                      "min_checks": e["min_checks"]},
                metadata={"tree_id": e["tree_id"], "rollback": e["rollback"] is not None,
                          "redundant_pair": len(e["causes"]) > 1},
            ))
        return tasks

    @staticmethod
    def tree_data(task: Task) -> dict[str, Any]:
        """The task's tree as JSON: inline (``world.tree``) or from the generated library (``world.tree_id``),
        checked against ``world.tree_sha256`` so a changed generator cannot detach committed tasks."""
        if "tree" in task.world:
            return dict(task.world["tree"])
        tree_id = task.world.get("tree_id")
        if not isinstance(tree_id, str):
            raise FaultTreeError(None, f"task {task.id} has neither world.tree nor world.tree_id")
        data = build_tree_data(tree_id)
        expected = task.world.get("tree_sha256")
        if expected and tree_digest(tree_id) != expected:
            raise FaultTreeError(None, f"library tree no longer matches task {task.id} (sha256 differs); "
                                       "regenerate the tasks with `agentgym tasks generate faulttree`", tree_id)
        return data

    @classmethod
    def tree_for(cls, task: Task) -> FaultTree:
        if "tree" in task.world:
            return parse_tree(task.world["tree"])
        cls.tree_data(task)
        return load_library_tree(task.world["tree_id"])

    # ------------------------------------------------------------------ hooks
    def world_spec(self, task: Task) -> WorldSpec:
        return WorldSpec(factory=str(self.world_factory),
                         config={"state": {"findings": {}, "proposals": []}, "tree": self.tree_data(task)})

    def make_user(self, task: Task) -> UserSimulator:
        tree = self.tree_for(task)
        if self.user_kind == "llm":
            from agentgym.policies.llm_user import LLMUserSimulator  # optional: needs litellm and a model

            return LLMUserSimulator(self.user_model, technician_persona(task, tree),  # type: ignore[arg-type]
                                    base_url=self.user_base_url)
        return TechnicianUser(tree, vague_rate=self.vague_rate)

    def make_oracle(self, task: Task, **options: Any) -> FaultTreeOracle:
        """Options: ``handle_rollbacks`` (default True)."""
        unknown = set(options) - {"handle_rollbacks"}
        if unknown:
            raise ConfigError(f"faulttree oracle: unknown options {sorted(unknown)}; known: handle_rollbacks")
        return FaultTreeOracle(self.tree_for(task), handle_rollbacks=bool(options.get("handle_rollbacks", True)))

    def turn_reward(self, turn: Turn) -> dict[str, float]:
        """Shaping components: new clear evidence (+1), a check asked again after a clear answer (-1), tool
        errors (-1 each), and a proposal judged against the gold root causes (+1 / -1)."""
        assert self.task is not None
        out: dict[str, float] = {}
        errors = sum(1 for r in turn.results if r is not None and r.error)
        if errors:
            out["tool_errors"] = -float(errors)
        for call, result in zip(turn.action.tool_calls, turn.results):
            if call.name == "propose_diagnosis" and result is not None and result.error is None:
                right = sorted(call.arguments.get("root_causes") or []) == self.task.gold["root_causes"]
                out["diagnosis"] = 1.0 if right else -1.0
        info = turn.user_reply.info if turn.user_reply is not None else {}
        if info.get("kind") == "answer":
            node = info["node"]
            earlier = [s.info.get("user", {}) for s in self.steps]
            clear_before = any(i.get("node") == node and i.get("reported") in ("normal", "abnormal")
                               for i in earlier)
            if clear_before and "rollback" not in info and not any("rollback" in i for i in earlier):
                out["redundant_check"] = -1.0
            elif info.get("reported") in ("normal", "abnormal") and not clear_before:
                out["new_evidence"] = 1.0
        return out

    @classmethod
    def score(cls, trajectory: Trajectory) -> dict[str, Any]:
        return score_trajectory(trajectory)

    @classmethod
    def aggregate(cls, trajectories: Sequence[Trajectory]) -> dict[str, Any]:
        out = super().aggregate(trajectories)
        out["rollback_episodes"] = sum(1 for t in trajectories if t.metrics.get("rollback"))
        return out
