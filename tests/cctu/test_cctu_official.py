"""CCTU's released data format: the loader, task-supplied checkers running in the sandbox, scoring with
``unsolved_set``, and clear errors on bad files. Fixtures under fixtures/official are in that exact format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import agentgym
import pytest

from agentgym.envs.cctu.official import load_official
from agentgym.errors import ConfigError, TaskFileError
from agentgym.types import Message, ToolCall

DATA = Path(__file__).parent / "fixtures" / "official"


def step(env, content="", *calls):
    return env.step(Message.assistant(content, [ToolCall(id=f"c{i}", name=n, arguments=a)
                                               for i, (n, a) in enumerate(calls)]))


def test_loader_maps_checker_files_to_validators_and_keeps_the_prompt():
    tasks = {t.id: t for t in load_official(DATA)}
    t = tasks["fx-1"]
    assert t.category == "Multi-Hop" and t.gold["unsolved_set"] == {"get_weather": ["21.5"]}
    assert [c["category"] for c in t.constraints] == [
        "rounds", "call_count", "per_tool_calls", "sequential_dependency", "format", "punctuation", "length"]
    assert t.constraints[4]["description"] == "Answer with a JSON object that has a 'temperature' key."
    assert set(t.world["checkers"]) == {"check_constraint_4:validate_format",
                                        "check_constraint_5:validate_punctuation"}
    assert {s["function"]["name"] for s in t.world["tools"]} == {"get_city_code", "get_weather", "slow_tool"}
    assert tasks["fx-2"].gold["unsolved_set"]["fx_rate"] == ["0.9150"]
    env = agentgym.make("cctu", data=DATA)
    assert [m.role for m in env.reset(options={"task_id": "fx-1"}) and env.messages] == ["system", "user"]
    assert env.messages[1].content.startswith("What is the temperature in Paris")
    env.close()


def test_official_episode_with_a_refined_answer_counts_for_sr_not_psr():
    env = agentgym.make("cctu", data=DATA)
    env.reset(options={"task_id": "fx-1"})
    # get_weather in the same turn as get_city_code (not after it returned): blocked, and never run
    obs, *_ = step(env, "", ("get_city_code", {"city": "Paris"}),
                   ("get_weather", {"city_code": "FR-PAR", "date": "2025-05-01"}))
    assert obs[1]["content"].startswith("INSTRUCTION FOLLOWING ERROR: Sequential Tool Dependency NOT FOLLOWED!")
    assert env.session.snapshot()["calls"] == ["get_city_code"]  # the tools log their runs in world state
    obs, *_ = step(env, "", ("get_weather", {"city_code": "FR-PAR", "date": "2025-05-01", "unit": "celsius"}))
    assert "21.5" in obs[0]["content"]
    assert env.session.snapshot()["calls"] == ["get_city_code", "get_weather"]
    # the sandboxed format and punctuation checkers reject this answer; feedback comes back as a user turn
    obs, _, terminated, _, info = step(env, "It is 21.5 degrees!")
    assert not terminated and obs[-1]["role"] == "user"
    assert {v["constraint"] for v in info["violations"]} == {"validate_format", "validate_punctuation"}
    assert "The response is not valid JSON." in obs[-1]["content"]
    obs, _, terminated, _, info = step(env, '{"temperature": "21.5 C"}')
    assert terminated and obs == []
    m = info["metrics"]
    assert m["solved"] and m["sr"] and not m["psr"]
    assert m["violations_by_dimension"] == {"resource": 0, "behavior": 1, "toolset": 0, "response": 2}
    env.close()


def test_gold_matching_is_case_insensitive_and_ignores_commas():
    env = agentgym.make("cctu", data=DATA)
    env.reset(options={"task_id": "fx-2"})
    obs, *_ = step(env, "", ("stock_price", {"ticker": "ACME"}),
                   ("fx_rate", {"pair": {"base": "EUR", "quote": "USD"}}))
    assert "1,234.50" in obs[0]["content"]
    _, _, terminated, _, info = step(env, "ACME is at \\boxed{1234.50 USD}, EUR/USD 0.9150.")
    assert terminated and info["metrics"]["solved"] and info["metrics"]["psr"]
    env.close()


def test_parallel_group_and_min_parallel_on_official_data():
    env = agentgym.make("cctu", data=DATA)
    env.reset(options={"task_id": "fx-2"})
    obs, _, _, _, info = step(env, "", ("stock_price", {"ticker": "ACME"}))
    assert obs[0]["error"] == "constraint" and info["violations"][0]["category"] == "parallel_dependency"
    obs, _, terminated, truncated, info = step(env, "\\boxed{unknown}")
    assert {v["constraint"] for v in info["violations"]} == {"min_parallelCallTypes"}
    assert not terminated and not truncated
    env.close()


def test_task_supplied_code_runs_in_the_process_sandbox_with_a_timeout():
    env = agentgym.make("cctu", data=DATA, sandbox="process", call_timeout=2.0)
    try:
        env.reset(options={"task_id": "fx-1"})
        obs, *_ = step(env, "", ("slow_tool", {}))
        assert obs[0]["error"] == "timeout"
        env.reset(options={"task_id": "fx-1"})
        step(env, "", ("get_city_code", {"city": "Paris"}))
        step(env, "", ("get_weather", {"city_code": "FR-PAR", "date": "2025-05-01"}))
        _, _, _, _, info = step(env, "no json!")
        assert {v["constraint"] for v in info["violations"]} == {"validate_format", "validate_punctuation"}
        _, _, terminated, _, info = step(env, '{"temperature": 21.5}')
        assert terminated and info["metrics"]["sr"]
    finally:
        env.close()


def test_oracle_needs_a_gold_plan():
    env = agentgym.make("cctu", data=DATA)
    with pytest.raises(ConfigError, match="no gold tool-call plan"):
        env.make_oracle(env.get_task("fx-1"))


def test_bad_files_fail_with_file_and_line(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    path = tmp_path / "data" / "input_data.jsonl"
    rows = path.read_text().splitlines()
    broken = json.loads(rows[1])
    del broken["codes"]
    path.write_text(rows[0] + "\n" + json.dumps(broken) + "\n")
    with pytest.raises(TaskFileError, match=r"input_data.jsonl:2: missing field\(s\) codes"):
        load_official(tmp_path / "data")
    path.write_text(rows[0] + "\n{not json\n")
    with pytest.raises(TaskFileError, match=":2: not valid JSON"):
        load_official(path)
    bad_tools = json.loads(rows[0]) | {"tools": "[oops"}
    path.write_text(json.dumps(bad_tools) + "\n")
    with pytest.raises(TaskFileError, match="field 'tools': not a JSON string"):
        load_official(path)
    with pytest.raises(FileNotFoundError, match="input_data.jsonl"):
        load_official(tmp_path / "nowhere")


def test_unknown_checker_files_are_skipped_and_recorded(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    (tmp_path / "data" / "check_code" / "fx-2" / "check_constraint_9.json").write_text('{"mystery": 1}')
    task = next(t for t in load_official(tmp_path / "data") if t.id == "fx-2")
    assert task.metadata["unsupported_checkers"] == ["check_constraint_9.json"]
    assert len(task.constraints) == 4


def _scripted_model(request):
    """A stand-in model behind the fake OpenAI server: solves fx-2 cleanly, and fx-1 after one refinement."""
    tools = {t["function"]["name"] for t in request.get("tools", [])}
    turn = sum(m["role"] == "assistant" for m in request["messages"])
    if "stock_price" in tools:
        script = [{"tool_calls": [{"name": "stock_price", "arguments": {"ticker": "ACME"}},
                                  {"name": "fx_rate", "arguments": {"pair": {"base": "EUR", "quote": "USD"}}}]},
                  {"content": "ACME trades at \\boxed{1234.50 USD}; EUR/USD is 0.9150."}]
    else:
        script = [{"tool_calls": [{"name": "get_city_code", "arguments": {"city": "Paris"}}]},
                  {"tool_calls": [{"name": "get_weather", "arguments": {"city_code": "FR-PAR", "date": "2025-05-01"}}]},
                  {"content": "It is 21.5 degrees!"},
                  {"content": '{"temperature": "21.5"}'}]
    return script[min(turn, len(script) - 1)]


async def test_official_data_with_a_model_over_the_openai_protocol():
    from agentgym.envs.cctu import CCTUEnv
    from agentgym.policies import make_policy
    from agentgym.runner.episode import run_episode
    from agentgym.testing.fake_openai import FakeOpenAIServer

    env = agentgym.make("cctu", data=str(DATA))
    with FakeOpenAIServer(responder=_scripted_model) as server:
        policy = make_policy("openai-compatible", base_url=server.base_url, model="scripted")
        try:
            trajectories = [await run_episode(env, policy, task_id=t.id, seed=0) for t in env.tasks]
        finally:
            await policy.aclose()
            env.close()
    by_id = {t.task.id: t.metrics for t in trajectories}
    assert by_id["fx-2"]["psr"] and by_id["fx-1"]["sr"] and not by_id["fx-1"]["psr"]
    agg = CCTUEnv.aggregate(trajectories)
    assert agg["sr"] == 1.0 and agg["psr"] == 0.5
    assert agg["violation_rate_by_category"]["format"] == 0.5
