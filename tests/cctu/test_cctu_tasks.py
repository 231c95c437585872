"""The committed CCTU task files match the generator, and the generated set has the shape the benchmark
needs: >= 200 test tasks over the four data sources, >= 5 constraints on average from all four dimensions."""

from __future__ import annotations

import json
import statistics
from collections import Counter

import pytest

from agentgym.envs.cctu import CCTUEnv
from agentgym.envs.cctu.generator import DATA_SOURCES
from agentgym.runner.engine import RunConfig, arun
from agentgym.taskstore import dump_tasks


@pytest.mark.parametrize("split", CCTUEnv.splits)
def test_committed_task_files_match_the_generator(split):
    committed = (CCTUEnv.task_dir() / f"{split}.jsonl").read_bytes()
    assert dump_tasks(CCTUEnv.generate_tasks(split)) == committed


def test_test_split_shape():
    tasks = CCTUEnv.load_split("test")
    assert len(tasks) >= 200
    assert Counter(t.category for t in tasks) == {s: len(tasks) // 4 for s in DATA_SOURCES}
    assert statistics.mean(len(t.constraints) for t in tasks) >= 5
    assert all({c["dimension"] for c in t.constraints} == {"resource", "behavior", "toolset", "response"}
               for t in tasks)
    categories = Counter(c["category"] for t in tasks for c in t.constraints)
    assert len(categories) == 12
    for t in tasks:
        assert t.gold["unsolved_set"] and t.gold["plan"] and t.world["codes"]
        assert {s["function"]["name"] for s in t.world["tools"]} == set(t.world["codes"])
    assert len({t.instruction for t in tasks}) == len(tasks)


async def test_cli_run_with_the_oracle_writes_sr_and_psr_even_under_tool_noise(tmp_path):
    clean = await arun(RunConfig(env="cctu", split="test", out=tmp_path / "clean", policy="oracle", limit=24,
                                 quiet=True))
    noisy = await arun(RunConfig(env="cctu", split="test", out=tmp_path / "noisy", policy="oracle", limit=24,
                                 quiet=True, noise=["tool:failure=0.3,wrong=0.3,redundant=0.3"]))
    for result in (clean, noisy):
        scores = json.loads((result.out / "scores.json").read_text())
        assert scores["sr"] == scores["psr"] == 1.0 and scores["violation_rate"] == 0.0
    # the cctu rubric (evaluators/rubrics/cctu.yaml) scores the clean oracle run perfectly
    assert json.loads((clean.out / "scores.json").read_text())["rubric"]["total"] == 1.0
    injected = [json.loads(line)["steps"] for line in (noisy.out / "trajectories.jsonl").open()]
    assert any(step["noise"] for steps in injected for step in steps)
