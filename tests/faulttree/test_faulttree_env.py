"""The faulttree env end to end: tasks, tools, the technician simulator, metrics and both oracles."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import agentgym
from agentgym.envs.faulttree import FaultTreeEnv, FaultTreeError
from agentgym.envs.faulttree.generator import load_library_tree
from agentgym.envs.faulttree.user import CORRECTION_MARK
from agentgym.errors import ConfigError
from agentgym.types import Message, Task, ToolCall


@pytest.fixture(scope="module")
def env() -> FaultTreeEnv:
    e = agentgym.make("faulttree", split="test")
    yield e
    e.close()


def first(env: FaultTreeEnv, pred: Callable[[Task], bool]) -> Task:
    return next(t for t in env.tasks if pred(t))


def call(name: str, **arguments: Any) -> Message:
    return Message.assistant("", [ToolCall(id=f"c-{name}", name=name, arguments=arguments)])


def say(env: FaultTreeEnv, text: str) -> tuple[str, dict[str, Any]]:
    obs, _, _, _, info = env.step(Message.assistant(text))
    return obs[-1]["content"], env.steps[-1].info.get("user", {})


def play(env: FaultTreeEnv, task: Task, seed: int, **options: Any) -> dict[str, Any]:
    env.reset(seed=seed, options={"task_id": task.id})
    oracle = env.make_oracle(task, **options)
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step(oracle.act(env.messages))
        done = terminated or truncated
    assert not truncated, f"{task.id} hit the turn limit"
    return env.metrics


# ---------------------------------------------------------------------------------------------- tasks
def test_task_counts_splits_and_size() -> None:
    test, train = FaultTreeEnv.load_split("test"), FaultTreeEnv.load_split("train")
    assert len(test) + len(train) >= 1000 and len(test) >= 200
    assert not {t.world["tree_id"] for t in test} & {t.world["tree_id"] for t in train}
    trees = {t.world["tree_id"] for t in test + train}
    assert len(trees) >= 100
    assert len({t.category for t in test}) >= 8
    rollback = [t for t in test if t.metadata["rollback"]]
    assert 0.15 * len(test) < len(rollback) < 0.4 * len(test)
    assert any(len(t.gold["root_causes"]) == 2 for t in test)  # redundant AND pairs
    # trees are stored once, not per task: a task line stays small
    for split in ("test", "train"):
        path = FaultTreeEnv.task_dir() / f"{split}.jsonl"
        assert max(len(line) for line in path.read_bytes().splitlines()) < 4000


def test_changed_library_tree_is_detected(env: FaultTreeEnv) -> None:
    task = env.tasks[0]
    stale = task.model_copy(update={"world": {**task.world, "tree_sha256": "0" * 64}})
    with pytest.raises(FaultTreeError, match="no longer matches task"):
        FaultTreeEnv(tasks=[stale]).reset(seed=0, options={"task_id": stale.id})


def test_inline_tree_task(env: FaultTreeEnv) -> None:
    """A task may carry its own tree in the documented JSON format instead of naming a library tree."""
    task = env.tasks[0]
    data = load_library_tree(task.world["tree_id"]).model_dump(mode="json")
    inline = task.model_copy(update={"world": {"tree": data}})
    e = FaultTreeEnv(tasks=[inline])
    assert play(e, inline, seed=3)["root_cause_accuracy"] == 1.0
    bad = json.loads(json.dumps(data))
    bad["nodes"][1]["children"].append("NOPE-999")
    with pytest.raises(FaultTreeError, match="dangling"):
        FaultTreeEnv(tasks=[task.model_copy(update={"world": {"tree": bad}})]).reset(
            seed=0, options={"task_id": task.id})


def test_bad_env_options() -> None:
    with pytest.raises(ConfigError, match="unknown user"):
        FaultTreeEnv(user="telepath")
    with pytest.raises(ConfigError, match="needs user_model"):
        FaultTreeEnv(user="llm")
    with pytest.raises(ConfigError, match="vague_rate"):
        FaultTreeEnv(vague_rate=1.5)
    with pytest.raises(ConfigError, match="unknown options"):
        FaultTreeEnv().make_oracle(FaultTreeEnv.load_split("test")[0], ignore_everything=True)


# ---------------------------------------------------------------------------------------------- tools
def test_tools(env: FaultTreeEnv) -> None:
    task = env.tasks[0]
    tree = load_library_tree(task.world["tree_id"])
    env.reset(seed=0, options={"task_id": task.id})
    assert {t["name"] for t in env.tool_specs} == {"view_tree", "lookup_component", "record_finding",
                                                    "propose_diagnosis"}
    obs, *_ = env.step(call("view_tree"))
    assert obs[0]["content"].startswith(f"Fault tree {tree.id}") and tree.top.id in obs[0]["content"]
    sub = tree.top.children[0]
    obs, *_ = env.step(call("view_tree", node_id=sub, depth=1))
    assert obs[0]["content"].splitlines()[0].startswith(f"[{sub}]")
    basic = tree.basic_events()[0]
    obs, *_ = env.step(call("lookup_component", query=basic.id))
    looked = json.loads(obs[0]["content"])
    assert looked["type"] == "basic" and looked["check"] == basic.check.instruction
    assert {o["status"] for o in looked["observations"]} == {"normal", "abnormal"}
    assert all("fix" in o for o in looked["observations"] if o["status"] == "abnormal")
    obs, *_ = env.step(call("lookup_component", query=basic.label.lower()))
    assert json.loads(obs[0]["content"])["id"] == basic.id
    obs, *_ = env.step(call("lookup_component", query=basic.id[:-1] + "X"))
    assert obs[0]["error"] == "tool_error" and "did you mean" in obs[0]["content"]
    env.step(call("record_finding", node_id=sub, status="abnormal", note="hot"))
    obs, *_ = env.step(call("record_finding", node_id=sub, status="normal", note="misread"))
    assert obs[0]["content"].startswith("revised finding")
    obs, *_ = env.step(call("view_tree", node_id=sub, depth=0))
    assert "{normal}" in obs[0]["content"]
    obs, *_ = env.step(call("propose_diagnosis", root_causes=[sub], fixes=["replace"]))
    assert obs[0]["error"] == "tool_error" and "must be a basic event" in obs[0]["content"]
    obs, *_ = env.step(call("propose_diagnosis", root_causes=[basic.id], fixes=[]))
    assert obs[0]["error"] == "tool_error" and "one fix per root cause" in obs[0]["content"]
    obs, *_ = env.step(call("propose_diagnosis", root_causes=[basic.id], fixes=["pray"]))
    assert obs[0]["error"] == "invalid_arguments"
    obs, *_ = env.step(call("propose_diagnosis", root_causes=[basic.id], fixes=["replace"]))
    assert obs[0]["error"] is None and "diagnosis #1 recorded" in obs[0]["content"]
    assert env.session.snapshot()["proposals"] == [{"root_causes": [basic.id], "fixes": ["replace"]}]


# ---------------------------------------------------------------------------------------------- technician
def test_technician_answers_vaguely_then_clearly(env: FaultTreeEnv) -> None:
    task = env.tasks[0]
    tree = load_library_tree(task.world["tree_id"])
    node = tree.top.children[0]
    checks = tree.node(node).check
    vague_seen = clear_seen = 0
    for seed in range(12):
        env.reset(seed=seed, options={"task_id": task.id})
        reply, info = say(env, f"Please check {node}.")
        if info["reported"] == "vague":
            vague_seen += 1
            assert not any(o.text in reply for o in checks.observations)
            reply, info = say(env, f"Could you check {node} again, carefully?")
        assert info["reported"] in ("normal", "abnormal")
        assert any(o.text in reply for o in checks.observations)
        clear_seen += 1
    assert 0 < vague_seen < 12 and clear_seen == 12
    env.reset(seed=0, options={"task_id": task.id})
    reply, info = say(env, "What do you think?")
    assert info["kind"] == "clarify" and "Which node" in reply


def test_technician_is_deterministic_given_the_seed(env: FaultTreeEnv) -> None:
    task = first(env, lambda t: t.metadata["rollback"])
    a = play(env, task, seed=5)
    digest_a = env.trajectory().digest()
    b = play(env, task, seed=5)
    assert a == b and env.trajectory().digest() == digest_a


def test_rollback_fires_after_delay_and_names_the_misread(env: FaultTreeEnv) -> None:
    task = first(env, lambda t: t.metadata["rollback"])
    plan = task.user["rollback"]
    misread, decoy_below = plan["node"], [n for n in plan["decoy"] if n != plan["node"]]
    tree = load_library_tree(task.world["tree_id"])
    env = FaultTreeEnv(tasks=[task], vague_rate=0.0)
    env.reset(seed=0, options={"task_id": task.id})
    reply, info = say(env, f"Check {misread}")
    assert info["misread"] and info["reported"] == "abnormal"
    assert tree.node(misread).check.abnormal[plan["decoy"][misread]].text in reply
    reply, info = say(env, f"Check {decoy_below[0]}")
    assert info["misread"] and info["reported"] == "abnormal"
    for i in range(plan["delay"] - 2):
        reply, info = say(env, f"Check {tree.top.children[i % len(tree.top.children)]}")
        assert "rollback" not in info
    reply, info = say(env, f"Check {misread}")
    assert info["rollback"] == {"node": misread, "retracted": [misread, decoy_below[0]]}
    correction = reply[reply.index(CORRECTION_MARK):]
    assert misread in correction and decoy_below[0] in correction and "misread" in correction
    assert tree.node(misread).check.normal.text in correction
    # after the correction the technician answers truthfully
    reply, info = say(env, f"Check {decoy_below[0]}")
    assert info["reported"] == "normal" and not info["misread"]


def test_rollback_comes_at_latest_when_the_agent_concludes(env: FaultTreeEnv) -> None:
    task = first(env, lambda t: t.metadata["rollback"] and t.user["rollback"]["delay"] >= 4)
    plan = task.user["rollback"]
    decoy_leaf = [n for n in plan["decoy"] if load_library_tree(task.world["tree_id"]).node(n).type == "basic"]
    env = FaultTreeEnv(tasks=[task], vague_rate=0.0)
    env.reset(seed=0, options={"task_id": task.id})
    say(env, f"Check {plan['node']}")
    env.step(call("propose_diagnosis", root_causes=decoy_leaf[:1], fixes=["replace"]))
    reply, info = say(env, "That's the cause.")
    assert info["kind"] == "rollback_at_proposal" and CORRECTION_MARK in reply and not env.done
    env.step(call("propose_diagnosis", root_causes=decoy_leaf[:1], fixes=["replace"]))
    reply, info = say(env, "I still think it is that.")
    assert info["kind"] == "reminder" and not env.done
    env.step(call("propose_diagnosis", root_causes=task.gold["root_causes"],
                  fixes=[task.gold["fixes"][c] for c in task.gold["root_causes"]]))
    reply, info = say(env, "Then it is this.")
    assert info["kind"] == "done" and env.done
    m = env.metrics
    assert m["root_cause_accuracy"] == 1.0 and m["fix_accuracy"] == 1.0 and m["recovery_rate"] == 1.0
    assert m["rollback"] and m["proposals"] == 3
    # none of the three proposals named an event the technician had clearly reported abnormal
    assert m["premature_conclusions"] == 3


# ---------------------------------------------------------------------------------------------- metrics
def test_guessing_counts_as_premature_and_wrong(env: FaultTreeEnv) -> None:
    task = first(env, lambda t: not t.metadata["rollback"] and len(t.gold["root_causes"]) == 1)
    tree = load_library_tree(task.world["tree_id"])
    wrong = next(n.id for n in tree.basic_events() if n.id not in task.gold["root_causes"])
    env.reset(seed=0, options={"task_id": task.id})
    say(env, f"Check {tree.top.children[0]}")
    env.step(call("propose_diagnosis", root_causes=[wrong], fixes=["clean"]))
    _, info = say(env, "Done.")
    assert info["kind"] == "done" and env.done
    m = env.metrics
    assert m["success"] is False and m["root_cause_accuracy"] == 0.0 and m["fix_accuracy"] == 0.0
    assert m["premature_conclusions"] == 1 and m["recovery_rate"] is None and m["checks_asked"] == 1
    assert m["path_efficiency"] == 1.0  # one check asked, fewer than the minimum: capped at 1


def test_turn_rewards_are_components(env: FaultTreeEnv) -> None:
    task = first(env, lambda t: not t.metadata["rollback"])
    tree = load_library_tree(task.world["tree_id"])
    env = FaultTreeEnv(tasks=[task], vague_rate=0.0)
    env.reset(seed=0, options={"task_id": task.id})
    node = tree.top.children[0]
    env.step(Message.assistant(f"Check {node}"))
    assert env.steps[-1].reward_components == {"new_evidence": 1.0}
    env.step(Message.assistant(f"Check {node} again"))
    assert env.steps[-1].reward_components == {"redundant_check": -1.0}
    env.step(call("lookup_component", query="NOPE"))
    assert env.steps[-1].reward_components == {"tool_errors": -1.0}
    env.step(call("propose_diagnosis", root_causes=task.gold["root_causes"],
                  fixes=[task.gold["fixes"][c] for c in task.gold["root_causes"]]))
    assert env.steps[-1].reward_components == {"diagnosis": 1.0}


# ---------------------------------------------------------------------------------------------- oracles
def test_oracle_solves_every_test_task_and_ignoring_rollbacks_fails_exactly_on_them(env: FaultTreeEnv) -> None:
    turns, failed_ignoring = [], set()
    for task in env.tasks:
        m = play(env, task, seed=task.seed)
        assert m["root_cause_accuracy"] == 1.0 and m["fix_accuracy"] == 1.0, task.id
        assert m["premature_conclusions"] == 0, task.id
        assert m["recovery_rate"] == (1.0 if task.metadata["rollback"] else None), task.id
        turns.append(m["turns"])
        ignoring = play(env, task, seed=task.seed, handle_rollbacks=False)
        if not ignoring["root_cause_accuracy"]:
            failed_ignoring.add(task.id)
    assert failed_ignoring == {t.id for t in env.tasks if t.metadata["rollback"]}
    mean_turns = sum(turns) / len(turns)
    assert mean_turns >= 25, f"dialogues should be long (tens of turns), got {mean_turns:.1f}"


def test_scores_json_reports_root_cause_accuracy(tmp_path: Path) -> None:
    from agentgym.runner.engine import run

    tasks = FaultTreeEnv.load_split("test")
    limit = next(i for i, t in enumerate(tasks) if t.metadata["rollback"]) + 3
    n_rollback = sum(t.metadata["rollback"] for t in tasks[:limit])
    for handle, expected in ((True, 1.0), (False, 1 - n_rollback / limit)):
        out = tmp_path / f"run-{handle}"
        run("faulttree", split="test", policy="oracle", policy_kwargs={"handle_rollbacks": handle},
            out=str(out), limit=limit, progress=False)
        scores = json.loads((out / "scores.json").read_text())
        assert scores["root_cause_accuracy"] == pytest.approx(expected)
        assert scores["n_episodes"] == limit
        assert set(FaultTreeEnv.headline_metrics) - {"recovery_rate"} <= set(scores)
        assert scores["rubric"]["total"] > 0
    traj = json.loads((tmp_path / "run-True" / "trajectories.jsonl").read_text().splitlines()[0])
    assert traj["scores"]["rubric"] == "faulttree"


def test_oracle_under_tool_and_user_noise(tmp_path: Path) -> None:
    from agentgym.runner.engine import run

    out = tmp_path / "noisy"
    run("faulttree", split="test", policy="oracle", out=str(out), limit=30, progress=False,
        noise=["tool:failure=0.3,incomplete=0.3,wrong=0.3", "user:ambiguity=0.3,conflict=0.3,redundancy=0.3"])
    scores = json.loads((out / "scores.json").read_text())
    assert scores["root_cause_accuracy"] >= 0.99
    noisy = [json.loads(line) for line in (out / "trajectories.jsonl").read_text().splitlines()]
    assert sum(len(s["noise"]) for t in noisy for s in t["steps"]) > 30


def test_same_trajectory_on_local_and_process_sandboxes(env: FaultTreeEnv) -> None:
    task = first(env, lambda t: t.metadata["rollback"])
    digests = []
    for sandbox in ("local", "process"):
        e = FaultTreeEnv(sandbox=sandbox)
        try:
            assert play(e, task, seed=1)["root_cause_accuracy"] == 1.0
            digests.append(e.trajectory().digest())
        finally:
            e.close()
    assert digests[0] == digests[1]


def test_llm_technician_persona(env: FaultTreeEnv) -> None:
    from agentgym.envs.faulttree.user import technician_persona

    task = first(env, lambda t: t.metadata["rollback"])
    tree = load_library_tree(task.world["tree_id"])
    persona = technician_persona(task, tree)
    for node_id, i in task.user["observations"].items():
        assert f"- {node_id} ({tree.node(node_id).label}): {tree.node(node_id).check.abnormal[i].text}" in persona
    plan = task.user["rollback"]
    assert f"misread {plan['node']}" in persona and f"After {plan['delay']} more answers" in persona
    assert "###STOP###" in persona


def test_llm_technician_through_a_loopback_provider(env: FaultTreeEnv) -> None:
    pytest.importorskip("agentgym.policies.llm_user", reason="the policies engineer's LLMUserSimulator")
    from agentgym.testing.fake_openai import FakeOpenAIServer

    task = first(env, lambda t: not t.metadata["rollback"])
    seen: list[dict[str, Any]] = []

    def technician(request: dict[str, Any]) -> dict[str, Any]:
        seen.append(request)
        return {"content": "Hmm, it looks a bit off, hard to say."}

    with FakeOpenAIServer(responder=technician) as server:
        e = FaultTreeEnv(tasks=[task], user="llm", user_model="openai/fake-technician",
                         user_base_url=server.base_url, max_turns=8)
        play_turns = 0
        e.reset(seed=0, options={"task_id": task.id})
        oracle = e.make_oracle(task)
        while not e.done:
            e.step(oracle.act(e.messages))
            play_turns += 1
    assert seen and "fault tree" in json.dumps(seen[0]["messages"][0])
    user_replies = [m for s in e.steps for m in s.observation if m.role == "user"]
    assert user_replies and all(m.content == "Hmm, it looks a bit off, hard to say." for m in user_replies)
    m = e.metrics
    assert m["checks_asked"] == len(user_replies) and m["premature_conclusions"] is None
    assert m["root_cause_accuracy"] == 0.0 and play_turns == 8


def test_technician_answers_the_node_not_yet_answered(env: FaultTreeEnv) -> None:
    task = first(env, lambda t: not t.metadata["rollback"])
    tree = load_library_tree(task.world["tree_id"])
    a, b = tree.top.children[:2]
    e = FaultTreeEnv(tasks=[task], vague_rate=0.0)
    e.reset(seed=0, options={"task_id": task.id})
    _, info = say(e, f"Please check {a}.")
    assert info["node"] == a
    _, info = say(e, f"Thanks, {a} is noted. Now please check {b}.")
    assert info["node"] == b
    _, info = say(e, f"Compare {a} and {b} once more.")
    assert info["node"] == a
