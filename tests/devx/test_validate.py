"""`agentgym validate` passes sound envs and names the problem in broken ones; `new-env` scaffolds a
project that validates, runs and passes its own tests as generated."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import agentgym
from agentgym import AgentEnv, Message, Task, ToolCall, Trajectory, World, tool
from agentgym.taskstore import write_tasks
from agentgym.validate import validate

TASK_ROOT: Path


class GoodWorld(World):
    @tool
    def ping(self, text: str) -> str:
        """Echo text back.

        Args:
            text: Anything.
        """
        return text


class SilentWorld(World):
    @tool
    def ping(self, text: str) -> str:
        return text


class GoodEnv(AgentEnv):
    name = "vt_good"
    world_factory = f"{__name__}:GoodWorld"

    @classmethod
    def task_dir(cls) -> Path:
        return TASK_ROOT / cls.name

    @classmethod
    def generate_tasks(cls, split: str) -> list[Task]:
        return [Task(id=f"t{i}", env=cls.name, split=split, instruction=f"say {i}", gold={"word": str(i)})
                for i in range(4)]

    @classmethod
    def score(cls, trajectory: Trajectory) -> dict[str, Any]:
        last = trajectory.steps[-1].action.content if trajectory.steps else ""
        return {"success": last == trajectory.task.gold["word"]}

    def make_oracle(self, task: Task, **options: Any) -> Any:
        return _Oracle(task.gold["word"])


class _Oracle:
    def __init__(self, word: str):
        self.word = word

    def act(self, messages: list[Message]) -> Message:
        if messages[-1].role == "tool":
            return Message.assistant(messages[-1].content)
        return Message.assistant("", [ToolCall(id="p", name="ping", arguments={"text": self.word})])


class FlakyEnv(GoodEnv):
    name = "vt_flaky"

    def opening_messages(self, task: Task) -> list[Message]:
        return [Message.user(f"{task.instruction} (ticket {random.random():.6f})")]


class LosingEnv(GoodEnv):
    name = "vt_losing"

    def make_oracle(self, task: Task, **options: Any) -> Any:
        return _Oracle("wrong" if task.id == "t2" else task.gold["word"])


class SilentToolEnv(GoodEnv):
    name = "vt_silent"
    world_factory = f"{__name__}:SilentWorld"


@pytest.fixture(scope="module", autouse=True)
def registered(tmp_path_factory):
    global TASK_ROOT
    TASK_ROOT = tmp_path_factory.mktemp("tasks")
    for cls in (GoodEnv, FlakyEnv, LosingEnv, SilentToolEnv):
        agentgym.register(cls.name, cls)
        write_tasks(cls.task_dir(), "test", cls.generate_tasks("test"))


def _by_name(results):
    return {r.name: r for r in results}


def test_a_sound_env_passes_every_check():
    results = validate("vt_good")
    assert all(r.ok for r in results), [r for r in results if not r.ok]


def test_nondeterministic_env_fails_determinism_with_a_specific_message():
    check = _by_name(validate("vt_flaky"))["determinism"]
    assert not check.ok and "gave different observations" in check.detail


def test_oracle_failure_names_the_task():
    check = _by_name(validate("vt_losing"))["oracle solves every task"]
    assert not check.ok and check.detail == "the oracle failed 1/4 tasks: t2"


def test_tool_without_description_is_named():
    check = _by_name(validate("vt_silent"))["tool descriptions"]
    assert not check.ok and "tool(s) without a description: ping" in check.detail


@pytest.mark.parametrize("name", sorted(set(agentgym.list_envs()) - {"vt_good", "vt_flaky", "vt_losing",
                                                                      "vt_silent"}))
def test_every_shipped_env_validates(name):
    failed = [r for r in validate(name) if not r.ok]
    assert failed == [], failed


def test_new_env_scaffold_validates_runs_and_passes_its_own_tests(tmp_path):
    site = tmp_path / "site"
    agentgym_bin = [sys.executable, "-m", "agentgym"]
    subprocess.run([*agentgym_bin, "new-env", "demo_env", "--path", str(tmp_path), "--no-install"], check=True,
                   cwd=tmp_path)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(tmp_path / "demo_env")], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([*agentgym_bin, "validate", "demo_env"], env=env, cwd=tmp_path, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("PASS") == 7
    run = subprocess.run([*agentgym_bin, "run", "demo_env", "--policy", "oracle", "--out", str(tmp_path / "r"),
                          "--quiet"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    import json

    assert json.loads((tmp_path / "r" / "scores.json").read_text())["success_rate"] == 1.0
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(tmp_path / "demo_env" / "tests")], env=env, cwd=tmp_path, capture_output=True,
                           text=True)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout
