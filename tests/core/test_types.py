"""Every data model round-trips through JSON losslessly; digests ignore timing."""

from __future__ import annotations

import agentgym
from agentgym.types import (
    Message,
    NoiseEvent,
    RunManifest,
    Step,
    Task,
    TokenData,
    ToolCall,
    ToolResult,
    Trajectory,
    Usage,
    Violation,
)


def _trajectory() -> Trajectory:
    env = agentgym.make("calculator")
    env.reset(seed=3, options={"task_id": "calc-test-0002"})
    oracle = env.make_oracle(env.task)
    done = False
    while not done:
        _, _, te, tr, _ = env.step(oracle.act(env.messages))
        done = te or tr
    traj = env.trajectory()
    traj.steps[0].tokens = TokenData(prompt_ids=[1, 2], completion_ids=[3], logprobs=[-0.5])
    traj.steps[0].noise = [NoiseEvent(turn=0, source="tool", type="wrong", tool="add", original="5",
                                      injected="-300")]
    traj.steps[0].violations = [Violation(constraint="max_round", message="too many", dimension="resource")]
    return traj


def test_every_model_round_trips_through_json():
    call = ToolCall(id="c1", name="add", arguments={"a": 1, "b": [1, {"x": None}]})
    samples = [
        call,
        ToolCall(id="c2", name="x", parse_error="bad json"),
        ToolResult(call_id="c1", name="add", content="2", error="timeout"),
        Message(role="assistant", content="hi", tool_calls=[call]),
        Message(role="tool", content="2", tool_call_id="c1", name="add", error="tool_error"),
        Usage(prompt_tokens=3, completion_tokens=4, cost=0.25, latency_s=1.5, calls=1),
        TokenData(prompt_ids=[1], completion_ids=[2, 3], logprobs=[-0.1, -0.2]),
        Violation(constraint="c", message="m", dimension="d", category="k"),
        NoiseEvent(turn=1, source="user", type="ambiguity", original="a", injected="b"),
        Task(id="t", env="e", split="test", world={"a": [1, 2]}, gold={"x": 1.5}, constraints=[{"k": "v"}]),
        Step(index=0, action=Message.assistant("x"), reward_components={"fluency": 0.5}),
        _trajectory(),
        RunManifest(run_id="r", created_at="now", agentgym_version="0", env="calculator", env_version="1",
                    split="test", task_set_hash="h", n_tasks=3, policy={"name": "oracle"}),
    ]
    for obj in samples:
        again = type(obj).model_validate_json(obj.model_dump_json())
        assert again == obj, type(obj).__name__
        assert again.model_dump(mode="json") == obj.model_dump(mode="json")


def test_trajectory_digest_ignores_timing_but_not_content():
    traj = _trajectory()
    timed = traj.model_copy(update={"duration_s": 9.0, "usage": Usage(prompt_tokens=5)})
    assert timed.digest() == traj.digest()
    changed = traj.model_copy(deep=True)
    changed.steps[-1].action.content = "ANSWER: 0"
    assert changed.digest() != traj.digest()


def test_trajectory_alone_is_enough_to_rescore():
    traj = _trajectory()
    loaded = Trajectory.model_validate_json(traj.model_dump_json())
    assert agentgym.env_class(loaded.env).score(loaded) == traj.metrics
    assert loaded.metrics["success"] is True


def test_message_to_dict_matches_model_dump():
    call = ToolCall(id="c1", name="add", arguments={"a": 1})
    for msg in (Message.assistant("x", [call]), Message.user("u"), ToolResult(call_id="c", name="n", content="r",
                                                                              error="noise").to_message()):
        assert msg.to_dict() == msg.model_dump()


def test_manifest_config_hash_ignores_ids_and_dates():
    a = RunManifest(run_id="a", created_at="1", agentgym_version="0", env="e", env_version="1", split="s",
                    task_set_hash="h", n_tasks=1)
    b = a.model_copy(update={"run_id": "b", "created_at": "2"})
    c = a.model_copy(update={"samples": 3})
    assert a.config_hash() == b.config_hash() != c.config_hash()
