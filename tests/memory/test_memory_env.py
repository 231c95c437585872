"""The memory (AMemGym) env: task data, simulator, scoring, diagnosis, official-data loader."""

from __future__ import annotations

import copy
import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

import agentgym
from agentgym.errors import ConfigError, TaskFileError
from agentgym.simulators import UserTurn
from agentgym.taskstore import dump_tasks
from agentgym.types import Message, ToolCall, ToolResult

from agentgym.envs.memory import MemoryEnv
from agentgym.envs.memory.env import task_from_record
from agentgym.envs.memory.generator import generate_user
from agentgym.envs.memory.record import UserRecord
from agentgym.envs.memory.simulator import parse_choice

FIXTURE = Path(__file__).parent / "fixtures" / "amemgym_two_users.json"


def play(env: MemoryEnv, task_id: str, memory: str = "perfect", seed: int = 7) -> tuple[dict, MemoryEnv]:
    env.reset(seed=seed, options={"task_id": task_id})
    oracle = env.make_oracle(env.task, memory=memory)
    done = False
    info: dict = {}
    while not done:
        _, _, terminated, truncated, info = env.step(oracle.act(env.messages))
        done = terminated or truncated
    assert terminated, "the scripted user must end the episode, not the turn limit"
    return info["metrics"], env


@pytest.fixture(scope="module")
def test_env() -> MemoryEnv:
    return agentgym.make("memory", split="test")


def test_committed_tasks_match_the_generator() -> None:
    for split in MemoryEnv.splits:
        committed = (MemoryEnv.task_dir() / f"{split}.jsonl").read_bytes()
        assert committed == dump_tasks(MemoryEnv.generate_tasks(split)), f"regenerate tasks/memory/{split}"


def test_test_split_has_the_v1_base_shape(test_env: MemoryEnv) -> None:
    tasks = test_env.tasks
    assert len(tasks) >= 20
    assert len(MemoryEnv.load_split("train")) > len(tasks)
    per_period_changes = []
    for task in tasks:
        rec = UserRecord.model_validate(task.user)
        assert len(rec.qas) >= 10 and len(rec.periods) == 11  # 10 update periods + the initial one
        assert all(len(qa.required_info) == 2 for qa in rec.qas)
        assert all(len(v) == 3 for v in rec.state_schema.values())
        for qa in rec.qas:  # one answer choice per combination of values
            assert len(qa.answer_choices) == 9
            assert len({tuple(c.state) for c in qa.answer_choices}) == 9
        changes: Counter[str] = Counter()
        for prev, period in zip(rec.periods, rec.periods[1:]):
            changed = {k for k in rec.state_schema if period.state[k] != prev.state[k]}
            assert changed == set(period.updates)
            per_period_changes.append(len(changed))
            changes.update(changed)
            exposed = {k for s in period.sessions for k in s.exposed_states}
            assert changed <= exposed, "every change is revealed in some session of its period"
        assert max(changes.values()) <= 3
    assert 3.5 <= sum(per_period_changes) / len(per_period_changes) <= 4


def test_user_reveals_only_exposed_states_with_a_time_prefix(test_env: MemoryEnv) -> None:
    _, env = play(test_env, "memory-test-003")
    rec = UserRecord.model_validate(env.task.user)
    sessions = [s for p in rec.periods for s in p.sessions]
    openings = [m.content for m in env.messages if m.role == "user" and m.content.startswith("[Current Time:")
                and "Quick note" in m.content]
    assert len(openings) == len(sessions)
    for text, session in zip(openings, sessions):
        assert text.startswith(f"[Current Time: {session.session_time}]")
        stated = set(re.findall(r"my ([a-z ]+?) is ", text))
        assert stated == set(session.exposed_states)
        for key, value in session.exposed_states.items():
            assert f"my {key} is {value}" in text
    follow_ups = [m.content for m in env.messages if m.role == "user" and not m.content.startswith("[")]
    assert follow_ups, "update sessions have a second round"
    for text in follow_ups:  # neutral follow-ups never state a schema value
        assert not any(re.search(rf"\b{re.escape(v)}\b", text) for vals in rec.state_schema.values() for v in vals)


def test_oracle_memory_reaches_normalised_score_one(test_env: MemoryEnv) -> None:
    for task in test_env.tasks[:5]:
        metrics, env = play(test_env, task.id)
        assert metrics["normalized_memory_score"] == pytest.approx(1.0)
        assert metrics["accuracy"] == 1.0 and metrics["success"]
        assert metrics["random_baseline"] == pytest.approx(1 / 9)
        assert metrics["memory_success_rate"] == 1.0
        assert len(metrics["cells"]) == 11
        # the oracle's notes live in the sandboxed world and hold the final state
        final = UserRecord.model_validate(env.task.user).periods[-1].state
        notes = env.session.snapshot()["notes"]
        assert notes == final


def test_no_memory_scores_near_zero_and_first_value_shows_write_failures(test_env: MemoryEnv) -> None:
    none, first, recent = [], [], []
    for task in test_env.tasks:
        none.append(play(test_env, task.id, "none")[0])
        first.append(play(test_env, task.id, "first")[0])
        recent.append(play(test_env, task.id, "recent:6")[0])
    cells = [c["normalized"] for m in none for c in m["cells"]]
    assert abs(sum(cells) / len(cells)) < 0.08
    assert all(m["parse_failure_rate"] == 1.0 for m in none)  # every reply fell back to a random choice
    write = sum(m["diagnosis"]["variables"]["write"] for m in first)
    assert write > 0 and sum(m["diagnosis"]["questions"]["write"] for m in first) > 0
    assert sum(m["diagnosis"]["variables"]["read"] for m in first) == 0
    assert sum(m["normalized_memory_score"] for m in first) / len(first) < 0.5
    # a capacity-limited memory forgets values it had written correctly: read failures
    assert sum(m["diagnosis"]["variables"]["read"] for m in recent) > 0
    agg = MemoryEnv.aggregate([_traj(m) for m in first])
    assert agg["write_failure_rate"] > 0.3 and agg["read_failure_rate"] == 0.0


def _traj(metrics: dict):  # aggregate reads only .metrics
    class T:
        pass

    t = T()
    t.metrics = metrics
    return t


def test_unparsable_answers_fall_back_to_a_seeded_random_choice(test_env: MemoryEnv) -> None:
    a, _ = play(test_env, "memory-test-001", "none", seed=11)
    traj_a = test_env.trajectory().digest()
    b, _ = play(test_env, "memory-test-001", "none", seed=11)
    assert test_env.trajectory().digest() == traj_a and a == b
    c, _ = play(test_env, "memory-test-001", "none", seed=12)
    assert c["cells"] != a["cells"]
    assert parse_choice('```json\n{"answer": 3}\n```', 9) == 2
    assert parse_choice("2", 9) == 1
    assert parse_choice("I think 12", 9) is None and parse_choice('{"answer": 10}', 9) is None


def test_answers_are_recorded_in_the_trajectory_and_rescoring_agrees(test_env: MemoryEnv) -> None:
    metrics, env = play(test_env, "memory-test-002", "first")
    traj = env.trajectory()
    answered = [s.info["user"]["answered"] for s in traj.steps if "answered" in s.info.get("user", {})]
    kinds = Counter(a["kind"] for a in answered)
    rec = UserRecord.model_validate(traj.task.user)
    assert kinds["question"] == 11 * len(rec.qas)
    assert kinds["probe"] == 11 * len(rec.required_variables())
    roundtrip = type(traj).model_validate_json(traj.model_dump_json())
    assert MemoryEnv.score(roundtrip) == metrics


def test_upper_bound_can_be_measured_by_asking_with_the_gold_state() -> None:
    env = agentgym.make("memory", split="test", upper_bound="probe")
    metrics, _ = play(env, "memory-test-000", "none")
    assert metrics["upper_bound_source"] == "probe"
    # given the gold state in the prompt even the no-memory baseline answers right: the measured upper
    # bound equals the rule (1.0) for the scripted policies, which is why ``rule`` is the default
    assert metrics["upper_bound"] == 1.0 and abs(metrics["normalized_memory_score"]) < 0.2
    upper = [s.info["user"]["answered"] for s in env.trajectory().steps
             if s.info.get("user", {}).get("answered", {}).get("kind") == "upper"]
    assert len(upper) == 11 * 10 and all(a["parsed"] for a in upper)
    metrics, _ = play(env, "memory-test-000", "perfect")
    assert metrics["upper_bound"] == 1.0 and metrics["normalized_memory_score"] == pytest.approx(1.0)


def test_evaluation_only_at_the_end() -> None:
    env = agentgym.make("memory", split="test", eval_mode="end")
    metrics, _ = play(env, "memory-test-004", "first")
    assert [c["period"] for c in metrics["cells"]] == [10]
    assert metrics["diagnosis"]["variables"]["unattributed"] > 0  # no probe right after the updates


def test_memory_tools_in_the_sandbox() -> None:
    env = agentgym.make("memory", split="test")
    env.reset(seed=0, options={"task_id": "memory-test-000"})
    names = {t["name"] for t in env.tool_specs}
    assert names == {"memory_write", "memory_search", "memory_delete"}
    calls = [ToolCall(id="1", name="memory_write", arguments={"key": "diet", "value": "vegan"}),
             ToolCall(id="2", name="memory_search", arguments={"query": "VEGAN"}),
             ToolCall(id="3", name="memory_delete", arguments={"key": "pet"}),
             ToolCall(id="4", name="memory_write", arguments={"key": "x"})]
    obs, *_ = env.step({"role": "assistant", "content": "", "tool_calls": [
        {"id": c.id, "function": {"name": c.name, "arguments": json.dumps(c.arguments)}} for c in calls]})
    assert obs[0]["content"] == "saved note 'diet'"
    assert json.loads(obs[1]["content"]) == [{"key": "diet", "value": "vegan"}]
    assert obs[2]["error"] == "tool_error" and "no note named 'pet'" in obs[2]["content"]
    assert obs[3]["error"] == "invalid_arguments"
    plain = agentgym.make("memory", split="test", memory_tools=False)
    plain.reset(seed=0, options={"task_id": "memory-test-000"})
    assert plain.tool_specs == []


def test_official_data_loader_on_released_format_fixture() -> None:
    env = agentgym.make("memory", data=FIXTURE)
    assert env.split == "data" and [t.id for t in env.tasks] == ["fixture-user-1", "fixture-user-2"]
    metrics, env = play(env, "fixture-user-1")
    assert metrics["normalized_memory_score"] == pytest.approx(1.0)
    # random baseline of a question = mean accuracy over its (non-exhaustive) choices
    assert metrics["cells"][0]["random"] == pytest.approx((1 / 5 + 1 / 4) / 2)
    users = [m.content for m in env.messages if m.role == "user"]
    assert users[0] == ("[Current Time: 2024-01-20 10:00]\nI just settled in Berlin and I cook vegetarian. "
                        "Any neighbourhood food tips?")
    assert "Thanks, and what about the paperwork?" in users  # released later-round user turns are replayed
    metrics, _ = play(env, "fixture-user-2", "none")
    assert len(metrics["cells"]) == 1


def test_bad_official_data_fails_with_a_clear_error(tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    data[0]["qas"][0]["required_info"] = ["city", "mood"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(TaskFileError, match="mood"):
        agentgym.make("memory", data=bad)
    data = json.loads(FIXTURE.read_text())
    del data[1]["periods"][0]["period_end"]
    bad.write_text(json.dumps(data))
    with pytest.raises(TaskFileError, match=r"bad.json\[1\].*periods.0.period_end"):
        agentgym.make("memory", data=bad)
    with pytest.raises(ConfigError, match="does not exist"):
        agentgym.make("memory", data=tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="eval_mode"):
        agentgym.make("memory", eval_mode="sometimes")


def test_generator_is_deterministic_and_respects_its_limits() -> None:
    a = generate_user("u", "seed-1", n_updates=6, max_changes_per_var=2)
    assert a == generate_user("u", "seed-1", n_updates=6, max_changes_per_var=2)
    assert a != generate_user("u", "seed-2", n_updates=6, max_changes_per_var=2)
    task = task_from_record(a, "x", 0)
    assert len(task.gold["answers"]) == 7


class _Noise:
    """Transient tool failures (30%), off-topic user turns answered instead of the simulator (15%) and
    reworded user messages, the way the noise wrappers inject them (issue 8's interceptor protocol)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.shifted = False
        self.topic_shifts = 0

    def before(self, env, call_or_turn, turn=None):  # noqa: ANN001  (tool: (env, call, turn); user: (env, turn))
        if turn is not None:
            if self.rng.random() < 0.3:
                return ToolResult(call_id=call_or_turn.id, name=call_or_turn.name, content="503 unavailable",
                                  error="noise")
            return None
        if not self.shifted and self.rng.random() < 0.15:
            self.shifted = True
            self.topic_shifts += 1
            return UserTurn(Message.user("Unrelated, but did you watch the match last night?"))
        self.shifted = False
        return None

    def after(self, env, call, result, turn):  # noqa: ANN001
        return result

    def on_user(self, env, message, turn):  # noqa: ANN001
        return Message.user(message.content + " (sorry, typing on my phone)")


def test_oracle_survives_tool_and_user_noise() -> None:
    env = agentgym.make("memory", split="test")
    noise = _Noise(3)
    env.tool_interceptors.append(noise)
    env.user_interceptors.append(noise)
    for task in env.tasks[:4]:
        metrics, _ = play(env, task.id)
        assert metrics["normalized_memory_score"] == pytest.approx(1.0)
    assert any(m.error == "noise" for m in env.messages) and noise.topic_shifts > 10


def test_snapshot_and_restore_mid_episode_replays_identically() -> None:
    env = agentgym.make("memory", split="test")
    env.reset(seed=5, options={"task_id": "memory-test-005"})
    oracle = env.make_oracle(env.task)
    for _ in range(60):
        env.step(oracle.act(env.messages))
    snap = json.loads(json.dumps(env.snapshot()))
    branch = copy.deepcopy(oracle)
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step(oracle.act(env.messages))
        done = terminated or truncated
    other = agentgym.make("memory", split="test")
    other.restore(snap)
    done = False
    while not done:
        _, _, terminated, truncated, _ = other.step(branch.act(other.messages))
        done = terminated or truncated
    assert other.trajectory().digest() == env.trajectory().digest()
    assert other.metrics["normalized_memory_score"] == pytest.approx(1.0)


def test_process_sandbox_gives_the_same_trajectory() -> None:
    digests = []
    for sandbox in ("local", "process"):
        env = agentgym.make("memory", split="test", sandbox=sandbox)
        try:
            metrics, _ = play(env, "memory-test-006", "recent:6")
            digests.append(env.trajectory().digest())
        finally:
            env.close()
    assert digests[0] == digests[1]


def test_questions_over_three_variables() -> None:
    rec = generate_user("u3", "three-vars", n_updates=4, n_questions=5, vars_per_question=3)
    task = task_from_record(rec, "x", 0)
    assert all(len(qa["required_info"]) == 3 and len(qa["answer_choices"]) == 27 for qa in rec["qas"])
    env = MemoryEnv(tasks=[task])
    metrics, _ = play(env, task.id)
    assert metrics["normalized_memory_score"] == pytest.approx(1.0)
    assert metrics["random_baseline"] == pytest.approx(1 / 27)
    metrics, _ = play(env, task.id, "first")
    assert metrics["diagnosis"]["variables"]["write"] > 0
