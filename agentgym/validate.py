"""``agentgym validate ENV``: the checks every env must pass before its numbers mean anything.

Each check returns a ``Check`` with a specific message, so a failing env tells its author exactly what to
fix (which task the oracle failed, at which step two seeded runs diverged, which tool lacks a description).
"""

from __future__ import annotations

import asyncio
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema

from agentgym.registry import env_class, make
from agentgym.taskstore import dump_tasks


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _check_env(name: str, split: str) -> str:
    from gymnasium.utils.env_checker import check_env

    env = make(name, split=split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env, skip_render_check=True)
    env.close()
    return "gymnasium check_env passed"


def _oracle_run(name: str, split: str, task_id: str, seed: int) -> Any:
    from agentgym.policies import OraclePolicy
    from agentgym.runner.episode import run_episode

    env = make(name, split=split)
    try:
        return asyncio.run(run_episode(env, OraclePolicy(), task_id=task_id, seed=seed))
    finally:
        env.close()


def _determinism(name: str, split: str) -> str:
    env = make(name, split=split)
    tasks = env.tasks[:3]
    for task in tasks:
        obs_a, _ = make(name, split=split).reset(seed=11, options={"task_id": task.id})
        obs_b, _ = make(name, split=split).reset(seed=11, options={"task_id": task.id})
        if obs_a != obs_b:
            raise AssertionError(f"reset(seed=11) on task {task.id} gave different observations")
        a, b = _oracle_run(name, split, task.id, 11), _oracle_run(name, split, task.id, 11)
        if a.digest() != b.digest():
            diverged = next((i for i, (x, y) in enumerate(zip(a.steps, b.steps, strict=False))
                             if x.model_dump(exclude={"usage"}) != y.model_dump(exclude={"usage"})),
                            min(len(a.steps), len(b.steps)))
            raise AssertionError(f"two runs of task {task.id} with seed 11 diverged at step {diverged}: "
                                 "the env, its simulator or its oracle uses unseeded randomness")
    return f"same seed, same trajectory on {len(tasks)} tasks"


def _oracle_solves(name: str, split: str) -> str:
    env = make(name, split=split)
    failed = []
    for task in env.tasks:
        traj = _oracle_run(name, split, task.id, task.seed)
        if not traj.metrics.get("success"):
            failed.append(task.id)
    if failed:
        raise AssertionError(f"the oracle failed {len(failed)}/{len(env.tasks)} tasks: {', '.join(failed[:5])}")
    return f"the oracle solved all {len(env.tasks)} tasks"


def _task_files(name: str, split: str) -> str:
    cls = env_class(name)
    for s in cls.splits:
        path = cls.task_dir() / f"{s}.jsonl"
        if not path.exists():
            raise AssertionError(f"{path} is missing; run `agentgym tasks generate {name}`")
        make(name, split=s).tasks  # parses, verifies checksums
        if path.read_bytes() != dump_tasks(cls.generate_tasks(s)):
            raise AssertionError(f"{path} differs from the generator's output; run `agentgym tasks generate {name}`")
    return f"{', '.join(cls.splits)} parse and regenerate identically"


def _tool_specs(name: str, split: str) -> list[dict[str, Any]]:
    env = make(name, split=split)
    _, info = env.reset(seed=0)
    env.close()
    return info["tools"]


def _schemas(name: str, split: str) -> str:
    specs = _tool_specs(name, split)
    for spec in specs:
        try:
            jsonschema.Draft202012Validator.check_schema(spec["parameters"])
        except jsonschema.SchemaError as exc:
            raise AssertionError(f"tool {spec['name']!r}: invalid JSON Schema: {exc.message}") from None
        if spec["parameters"].get("type") != "object":
            raise AssertionError(f"tool {spec['name']!r}: parameters must be a JSON Schema of type object")
    return f"{len(specs)} tool schemas are valid JSON Schema"


def _descriptions(name: str, split: str) -> str:
    missing = [s["name"] for s in _tool_specs(name, split) if not s.get("description", "").strip()]
    if missing:
        raise AssertionError(f"tool(s) without a description: {', '.join(missing)} "
                             "(write a docstring: the model only knows a tool by its description)")
    return "every tool has a description"


def _rubric(name: str, split: str) -> str:
    from agentgym.evaluators import rubric_for

    rubric = rubric_for(env_class(name))
    return f"rubric {rubric.name!r} loads"


CHECKS: list[tuple[str, Callable[[str, str], str]]] = [
    ("check_env", _check_env),
    ("determinism", _determinism),
    ("oracle solves every task", _oracle_solves),
    ("task files", _task_files),
    ("tool schemas", _schemas),
    ("tool descriptions", _descriptions),
    ("default rubric", _rubric),
]


def validate(name: str, split: str = "test") -> list[Check]:
    """Run every check; a check that raises fails with its message (or the exception's last frame)."""
    env_class(name)  # unknown names fail here with the list of known envs
    results = []
    for label, fn in CHECKS:
        try:
            results.append(Check(label, True, fn(name, split)))
        except AssertionError as exc:
            results.append(Check(label, False, str(exc)))
        except Exception as exc:  # an env bug: show where it happened
            where = traceback.extract_tb(exc.__traceback__)[-1]
            results.append(Check(label, False, f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})"))
    return results
