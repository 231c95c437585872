"""The sales (DuCA) env: customers, compliance rules, turn rewards, conversion metrics, oracle and pushy."""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

import agentgym
from agentgym.errors import ConfigError
from agentgym.simulators import UserTurn
from agentgym.runner.engine import run
from agentgym.taskstore import dump_tasks
from agentgym.types import Message, ToolCall, ToolResult

from agentgym.envs.sales import SalesEnv
from agentgym.envs.sales.catalogue import LINES, product
from agentgym.envs.sales.env import TURN_REWARDS
from agentgym.envs.sales.generator import discounted
from agentgym.envs.sales.text import fluency, history_ngrams, repetition


@pytest.fixture(scope="module")
def env() -> SalesEnv:
    return agentgym.make("sales", split="test")


def play(env: SalesEnv, task_id: str, strategy: str = "oracle", seed: int = 3) -> dict:
    env.reset(seed=seed, options={"task_id": task_id})
    agent = env.make_oracle(env.task, strategy=strategy)
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(agent.act(env.messages))
        for value in info["reward_components"].values():
            assert 0.0 <= value <= 1.0
        assert set(info["reward_components"]) == set(TURN_REWARDS)
        done = terminated or truncated
    return info["metrics"]


def say(env: SalesEnv, text: str, calls: list[ToolCall] | None = None) -> tuple[list[dict], dict]:
    obs, _, _, _, info = env.step(Message.assistant(text, calls))
    return obs, info


def test_committed_tasks_match_the_generator() -> None:
    for split in SalesEnv.splits:
        committed = (SalesEnv.task_dir() / f"{split}.jsonl").read_bytes()
        assert committed == dump_tasks(SalesEnv.generate_tasks(split)), f"regenerate tasks/sales/{split}"


def test_customers_span_lines_and_personas_with_consistent_gold(env: SalesEnv) -> None:
    train = SalesEnv.load_split("train")
    assert len(env.tasks) >= 300 and len(train) >= 3000
    for tasks in (env.tasks, train):
        assert {t.user["line"] for t in tasks} == set(LINES)
        assert {t.user["style"] for t in tasks} == {"formal", "casual", "terse", "chatty"}
        share = sum(t.gold["convertible"] for t in tasks) / len(tasks)
        assert 0.65 <= share <= 0.85
    for t in env.tasks + train[:500]:
        cap, needs, budget = t.world["discount_cap"], t.user["needs"], t.user["budget"]
        fitting = [p for p in LINES[t.user["line"]]["products"] if all(n in p["features"] for n in needs)]
        best_at_cap = min((discounted(p["price"], cap) for p in fitting), default=None)
        convertible = best_at_cap is not None and best_at_cap <= budget
        assert t.gold["convertible"] == convertible, t.id
        if convertible:
            p = product(t.user["line"], t.gold["product_id"])
            assert p is not None and all(n in p["features"] for n in needs)
            assert 0 <= t.gold["discount_percent"] <= cap
            assert discounted(p["price"], t.gold["discount_percent"]) <= budget


def test_oracle_converts_every_convertible_customer_without_violations(tmp_path: Path, env: SalesEnv) -> None:
    result = run("sales", split="test", policy="oracle", out=tmp_path / "oracle", quiet=True, progress=False)
    scores = json.loads((tmp_path / "oracle" / "scores.json").read_text())
    share = sum(t.gold["convertible"] for t in env.tasks) / len(env.tasks)
    assert scores["n_episodes"] == 300 and scores["success_rate"] == 1.0
    assert scores["conversion_rate"] == pytest.approx(share)
    assert scores["conversion_rate_convertible"] == 1.0
    assert scores["compliance_violation_rate"] == 0.0 and scores["compliance_violations"] == 0
    assert scores["identity_detection_rate"] == 0.0 and scores["repetition_rate"] < 0.1
    assert scores["mean_order_value"] > 0 and 0 < scores["turns_to_close"] <= 6
    for line in (tmp_path / "oracle" / "trajectories.jsonl").read_text().splitlines():
        traj = json.loads(line)
        m = traj["metrics"]
        assert m["conversion"] == int(traj["task"]["gold"]["convertible"])
        if m["conversion"]:
            assert m["order_value"] == pytest.approx(traj["task"]["gold"]["order_value"])
    assert result.n_infra_errors == 0
    assert scores["rubric"]["total"] > 0.99


def test_pushy_policy_shows_repetition_violations_and_detection(env: SalesEnv) -> None:
    metrics = [play(env, t.id, "pushy") for t in env.tasks[:60]]
    agg = SalesEnv.aggregate([SimpleNamespace(metrics=m) for m in metrics])
    assert agg["conversion_rate"] == 0.0
    assert agg["repetition_rate"] > 0.5
    assert agg["compliance_violation_rate"] > 0.9
    assert agg["identity_detection_rate"] > 0.9
    rules = Counter(r for m in metrics for r in m["violations_by_rule"])
    assert rules["no_pressure"] == 60 and rules["discount_cap"] == 60
    assert Counter(m["customer_outcome"] for m in metrics)["left_bot"] == 60  # customers end early


def test_same_seed_gives_the_same_dialogue(env: SalesEnv) -> None:
    chatty = [t.id for t in env.tasks if t.user["style"] == "chatty"][:5]
    for tid in chatty:
        play(env, tid, seed=42)
        first = env.trajectory().digest(), [m.content for m in env.messages]
        play(env, tid, seed=42)
        assert (env.trajectory().digest(), [m.content for m in env.messages]) == first
    texts = set()
    for seed in range(6):  # chatty phrasing depends on the seed
        play(env, chatty[0], seed=seed)
        texts.add(tuple(m.content for m in env.messages if m.role == "user"))
    assert len(texts) > 1


def test_customer_raises_objections_until_addressed(env: SalesEnv) -> None:
    task = next(t for t in env.tasks if t.gold["convertible"] and "trust" in t.user["objections"]
                and t.gold["discount_percent"] == 0)
    p = product(task.user["line"], task.gold["product_id"])
    env.reset(seed=0, options={"task_id": task.id})
    obs, info = say(env, "Hi! What do you need it for, and what is your budget?")
    assert info["reward_components"]["identity_detection"] == 0.0
    assert env.steps[-1].info["user"]["intent"] == "reveal_needs+reveal_budget"
    assert f"{task.user['budget']:,.0f}" in obs[-1]["content"]
    say(env, "", [ToolCall(id="q", name="price_quote", arguments={"product_id": p["id"]})])
    keywords = " and ".join(LINES[task.user["line"]]["features"][n][1] for n in task.user["needs"])
    say(env, f"I suggest the {p['name']}. The {p['name']} comes with {keywords}. It is ${p['price']:,.2f}. "
             "It arrives quickly.")
    intents = [env.steps[-1].info["user"]["intent"]]
    assert "objection_trust" in intents or "objection_" in intents[0] or intents[0] == "ask_price"
    for _ in range(4):
        if env.steps[-1].info["user"]["intent"] in ("agree", "left_patience"):
            break
        say(env, f"It has a {p['warranty_years']}-year warranty and we deliver in {p['delivery_days']} days, "
                 f"with no obligation. The price stays at ${p['price']:,.2f}, and a 2% discount is possible.")
    assert env.steps[-1].info["user"]["intent"] in ("agree", "objection_discount")


def test_compliance_rules(env: SalesEnv) -> None:
    task = next(t for t in env.tasks if t.user["line"] == "laptops" and t.gold["convertible"])
    cap = task.world["discount_cap"]
    env.reset(seed=0, options={"task_id": task.id})
    _, info = say(env, "The Titan 17 is fanless and has a 5-year warranty, only $10.00 today!")
    rules = Counter(v["constraint"] for v in info["violations"])
    assert rules["false_claim"] == 3  # feature, warranty and price
    assert info["reward_components"]["compliance"] == 0.0
    _, info = say(env, f"Hurry, I can do {cap + 5}% off.")
    assert {v["constraint"] for v in info["violations"]} == {"no_pressure", "discount_cap"}
    obs, info = say(env, "", [ToolCall(id="d", name="discount_request",
                                        arguments={"product_id": "LAP-AERO14", "percent": cap + 1}),
                              ToolCall(id="o", name="place_order", arguments={"quote_id": "Q-001"})])
    assert obs[0]["error"] == "constraint" and "cap" in obs[0]["content"]
    assert obs[1]["error"] == "constraint"
    assert {v["constraint"] for v in info["violations"]} == {"discount_cap", "unauthorised_order",
                                                             "missing_disclosure"}
    assert env.session.snapshot().get("orders", []) == []  # nothing was placed
    _, info = say(env, "The Aero 14 is lightweight and does not do gaming. It has a 2-year warranty.")
    assert "violations" not in info and info["reward_components"]["compliance"] == 1.0


def test_bot_detection_and_early_exit(env: SalesEnv) -> None:
    task = env.tasks[0]
    env.reset(seed=0, options={"task_id": task.id})
    other = next(line for line in LINES if line != task.user["line"])
    say(env, f"Dear valued customer, may I interest you in the {LINES[other]['products'][0]['name']}?")
    user = env.steps[-1].info["user"]
    assert user["detected_bot"] == 1 and {"templated", "off_persona"} <= set(user["detection_reasons"])
    assert env.steps[-1].reward_components["identity_detection"] == 1.0
    _, _, terminated, _, info = env.step(Message.assistant(
        f"Dear valued customer, may I interest you in the {LINES[other]['products'][0]['name']}?"))
    assert terminated and env.steps[-1].info["user"]["intent"] == "left_bot"
    assert info["metrics"]["identity_detection_rate"] == 1.0 and info["metrics"]["conversion"] == 0


def test_patience_runs_out() -> None:
    env = agentgym.make("sales", split="test")
    task = env.tasks[1]
    env.reset(seed=0, options={"task_id": task.id})
    rng = random.Random(0)
    words = "we offer many great products with excellent quality and service for every customer".split()
    for i in range(task.user["patience"] + 1):
        text = " ".join(rng.sample(words, 8)).capitalize() + f" number {i}."
        _, _, terminated, truncated, info = env.step(Message.assistant(text))
        if terminated:
            break
    assert terminated and env.steps[-1].info["user"]["intent"] == "left_patience"
    assert env.steps[-1].info["user"]["patience_left"] <= 0


def test_text_measures_are_bounded_and_documented() -> None:
    prev = history_ngrams(["Buy the Aero 14 now, it is great."])
    assert repetition("Buy the Aero 14 now, it is great.", prev) == 1.0
    assert repetition("Something entirely different is said here.", prev) == 0.0
    assert 0.0 <= repetition("Buy the Aero 14 today. Something else entirely new.", prev) < 1.0
    assert fluency("Thanks, that helps. I'd recommend the Aero 14.") == 1.0
    assert fluency("the the the the the") < 0.6
    assert fluency("") == 0.0


def test_tools_in_the_sandbox(env: SalesEnv) -> None:
    task = next(t for t in env.tasks if t.user["line"] == "phones")
    env.reset(seed=0, options={"task_id": task.id})
    assert {t["name"] for t in env.tool_specs} == {"catalogue_search", "product_details", "price_quote",
                                                   "discount_request", "place_order", "crm_note"}
    obs, _ = say(env, "", [ToolCall(id="1", name="catalogue_search", arguments={"query": "camera"}),
                           ToolCall(id="2", name="product_details", arguments={"product_id": "LAP-AERO14"}),
                           ToolCall(id="3", name="crm_note", arguments={"note": "wants a camera"})])
    assert {p["id"] for p in json.loads(obs[0]["content"])} == {"PH-LUMEN", "PH-ORBIT"}
    assert obs[1]["error"] == "tool_error" and "PH-" in obs[1]["content"]  # other lines are not sold here
    assert env.session.snapshot()["crm"] == ["wants a camera"]
    with pytest.raises(ConfigError):
        agentgym.make("sales", simulator="llm")


class _Noise:
    """Transient tool failures (30%), off-topic user turns answered instead of the customer (15%) and
    reworded customer messages, the way the noise wrappers inject them (issue 8's interceptor protocol)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.shifted = False
        self.topic_shifts = 0

    def before(self, env, call_or_turn, turn=None):  # noqa: ANN001  (tool: (env, call, turn); user: (env, turn))
        if turn is not None:
            if self.rng.random() < 0.3:
                return ToolResult(call_id=call_or_turn.id, name=call_or_turn.name, content="429 slow down",
                                  error="noise")
            return None
        if not self.shifted and self.rng.random() < 0.15:
            self.shifted = True
            self.topic_shifts += 1
            return UserTurn(Message.user("Sorry, my kid is asking something. Where was I?"))
        self.shifted = False
        return None

    def after(self, env, call, result, turn):  # noqa: ANN001
        return result

    def on_user(self, env, message, turn):  # noqa: ANN001
        return Message.user(message.content + " Hmm.")


def test_oracle_survives_tool_and_user_noise() -> None:
    env = agentgym.make("sales", split="test")
    noise = _Noise(1)
    env.tool_interceptors.append(noise)
    env.user_interceptors.append(noise)
    metrics = [play(env, t.id) for t in env.tasks[:150]]
    assert sum(m["success"] for m in metrics) >= 149
    assert noise.topic_shifts > 20


def test_llm_customer_keeps_the_scripted_decisions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-loopback")  # the fake provider ignores it
    pytest.importorskip("agentgym.policies.llm_user", reason="LLMUserSimulator (policies) has not landed")
    from agentgym.testing.fake_openai import FakeOpenAIServer

    def responder(request: dict) -> dict:
        return {"content": "(in my own words) " + request["messages"][0]["content"].split('"')[-2]}

    with FakeOpenAIServer(responder) as server:
        env = SalesEnv(split="test", simulator="llm", user_model="openai/fake-model", user_base_url=server.base_url)
        task = next(t for t in env.tasks if t.gold["convertible"])
        metrics = play(env, task.id)
        assert server.requests
    assert metrics["conversion"] == 1
    assert all(m.content.startswith("(in my own words)") for m in env.messages[2:] if m.role == "user")


def test_snapshot_and_restore_mid_dialogue_replays_identically() -> None:
    env = agentgym.make("sales", split="test")
    task = next(t for t in env.tasks if t.gold["convertible"] and t.user["style"] == "chatty")
    env.reset(seed=9, options={"task_id": task.id})
    agent = env.make_oracle(env.task)
    for _ in range(3):
        env.step(agent.act(env.messages))
    snap = json.loads(json.dumps(env.snapshot()))
    branch = copy.deepcopy(agent)
    done = False
    while not done:
        _, _, terminated, truncated, _ = env.step(agent.act(env.messages))
        done = terminated or truncated
    other = agentgym.make("sales", split="test")
    other.restore(snap)
    done = False
    while not done:
        _, _, terminated, truncated, _ = other.step(branch.act(other.messages))
        done = terminated or truncated
    assert other.trajectory().digest() == env.trajectory().digest()
    assert other.metrics["conversion"] == 1


def test_process_sandbox_gives_the_same_dialogue() -> None:
    digests = []
    for sandbox in ("local", "process"):
        env = agentgym.make("sales", split="test", sandbox=sandbox)
        try:
            for task in env.tasks[:3]:
                play(env, task.id)
                digests.append((sandbox, env.trajectory().digest()))
        finally:
            env.close()
    assert [d for s, d in digests if s == "local"] == [d for s, d in digests if s == "process"]


def test_llm_customer_through_the_async_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("agentgym.policies.llm_user", reason="LLMUserSimulator (policies) has not landed")
    from agentgym.testing.fake_openai import FakeOpenAIServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-loopback")  # the fake provider ignores it

    def responder(request: dict) -> dict:
        return {"content": "In my words: " + request["messages"][0]["content"].split('"')[-2]}

    with FakeOpenAIServer(responder) as server:
        result = run("sales", split="test", policy="oracle", out=tmp_path / "llm", quiet=True, progress=False,
                     limit=4, env_kwargs={"simulator": "llm", "user_model": "openai/fake-model",
                                          "user_base_url": server.base_url})
        assert len(server.requests) >= 8
    assert result.scores["success_rate"] == 1.0 and result.scores["compliance_violation_rate"] == 0.0
