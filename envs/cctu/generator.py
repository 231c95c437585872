"""The deterministic task generator behind ``tasks/cctu/{test,train}.jsonl``.

A task is one to three information needs over the tool domains (``domains.py``), in one of CCTU's four data
sources. The generator runs the tools itself to find the gold values and the calls a multi-hop question
needs, lays the calls out in turns (the gold *plan*), and then draws constraints from all four dimensions
that this plan and a composed gold answer satisfy, so every task is solvable and the oracle proves it.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from typing import Any

from agentgym.source_world import SourceWorld
from agentgym.types import Task, ToolCall
from agentgym.envs.cctu.domains import ALL_TOOLS, DOMAINS, Question
from agentgym.envs.cctu.validators import CATEGORIES

DATA_SOURCES = ("single_hop", "parallel_single_hop", "multi_hop", "parallel_multi_hop")
SIZES = {"test": 240, "train": 1000}

SYSTEM_PROMPT = (
    "You are a helpful assistant that answers with the help of tools. Follow every constraint in the user's "
    "request at every step: a tool call that breaks a constraint is not executed, and a final answer that "
    "breaks one is sent back to you. Each assistant message is one interaction round.")

MARKERS = ["[END]", "<<DONE>>", "-- end of report"]
FORBIDDEN = ["!", "?", ";", ","]

_world: SourceWorld | None = None


def run_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Run one domain tool here, while generating (the same source the sandbox runs later)."""
    global _world
    if _world is None:
        _world = SourceWorld(config={"tools": [t.schema for t in ALL_TOOLS.values()],
                                     "codes": {n: t.source for n, t in ALL_TOOLS.items()}})
    result = _world.call(ToolCall(id="gen", name=name, arguments=arguments))
    if result.error:
        raise RuntimeError(f"generator call {name}({arguments}) failed: {result.content}")
    return json.loads(result.content)


def generate(split: str) -> list[Task]:
    return [make_task(split, i, DATA_SOURCES[i % len(DATA_SOURCES)]) for i in range(SIZES[split])]


def make_task(split: str, index: int, source: str) -> Task:
    rng = random.Random(f"cctu/{split}/{index}")
    questions = _questions(rng, source)
    plan: list[list[dict[str, Any]]] = []
    for q in questions:
        for k, turn in enumerate(q.turns):
            if len(plan) <= k:
                plan.append([])
            plan[k].extend({"name": n, "arguments": a} for n, a in turn)
    unsolved: dict[str, list[str]] = {}
    facts = []
    for q in questions:
        name, args = q.answer_call
        value = str(run_tool(name, args)[ALL_TOOLS[name].gold_field or ""])
        unsolved.setdefault(name, []).append(value)
        facts.append((q.text, value))
    tools = _offered_tools(rng, plan)
    constraints, answer = _constraints(rng, plan, facts)
    request = "Please find " + "; and ".join(text for text, _ in facts) + "."
    lines = [f"{i}. {c['description']}" for i, c in enumerate(constraints, start=1)]
    instruction = f"{request}\n\nYou must follow these constraints:\n" + "\n".join(lines)
    return Task(
        id=f"cctu-{split}-{index:04d}", env="cctu", split=split, seed=index, category=source,
        instruction=instruction, system_prompt=SYSTEM_PROMPT,
        world={"tools": [ALL_TOOLS[n].schema for n in tools], "codes": {n: ALL_TOOLS[n].source for n in tools},
               "state": {}},
        gold={"unsolved_set": unsolved, "answer": answer, "plan": plan, "facts": [list(f) for f in facts],
              "calls": [c for turn in plan for c in turn]},
        constraints=constraints,
        metadata={"data_source": source, "constraints_list": [[c["dimension"], c["category"], c["description"]]
                                                              for c in constraints]},
    )


def _questions(rng: random.Random, source: str) -> list[Question]:
    if source == "single_hop":
        return [rng.choice(DOMAINS).direct(rng)]
    if source == "multi_hop":
        return [rng.choice(DOMAINS).chain(rng, run_tool)]
    if source == "parallel_single_hop":
        out: list[Question] = []
        while len(out) < rng.choice([2, 2, 3]):
            q = rng.choice(DOMAINS).direct(rng)
            if all(q.answer_call != o.answer_call for o in out):
                out.append(q)
        return out
    return [d.chain(rng, run_tool) for d in rng.sample(DOMAINS, 2)]


def _offered_tools(rng: random.Random, plan: list[list[dict[str, Any]]]) -> list[str]:
    """Every tool of the domains in play, plus one distractor tool from another domain."""
    used = {c["name"] for turn in plan for c in turn}
    domains = [d for d in DOMAINS if any(t.name in used for t in d.tools)]
    names = [t.name for d in domains for t in d.tools]
    other = rng.choice([d for d in DOMAINS if d not in domains])
    return [*names, rng.choice(other.tools).name]


def _entry(category: str, description: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"dimension": CATEGORIES[category][0], "category": category, "description": description,
            "params": params}


def _constraints(rng: random.Random, plan: list[list[dict[str, Any]]], facts: list[tuple[str, str]]
                 ) -> tuple[list[dict[str, Any]], str]:
    turns = [[c["name"] for c in turn] for turn in plan]
    rounds, calls = len(plan) + 1, sum(len(t) for t in turns)
    out: list[dict[str, Any]] = []
    # resource
    params: dict[str, Any] = {"max_round": rounds + rng.choice([0, 1, 1, 2])}
    text = f"Use at most {params['max_round']} interaction rounds (every assistant message counts, the final " \
           f"answer included)"
    if rounds > 2 and rng.random() < 0.3:
        params["min_round"] = rounds
        text += f", and at least {rounds}"
    out.append(_entry("rounds", text + ".", params))
    if rng.random() < 0.6:
        params = {"max_callTimes": calls + rng.choice([0, 1])}
        text = f"Make at most {params['max_callTimes']} tool calls in total"
        if rng.random() < 0.3:
            params["min_callTimes"] = calls
            text += f" and at least {calls}"
        out.append(_entry("call_count", text + ".", params))
    if rng.random() < 0.6:
        counts = Counter(n for t in turns for n in t)
        chosen = rng.sample(sorted(counts), min(len(counts), rng.choice([1, 2])))
        limits = {n: counts[n] + rng.choice([0, 0, 1]) for n in chosen}
        out.append(_entry("per_tool_calls", "Call " + " and ".join(f"'{n}' at most {k} time(s)"
                                                                  for n, k in limits.items()) + ".",
                          {"max_calls_per_tool": limits}))
    # behavior
    widest = max(len(t) for t in turns)
    if widest >= 2 and rng.random() < 0.6:
        by_types = rng.random() < 0.5
        width = max(len(set(t)) for t in turns) if by_types else widest
        unit = "tool types" if by_types else "calls"
        params = {"max_parallelCallTypes": width + rng.choice([0, 1]), "unit": unit}
        text = f"Make at most {params['max_parallelCallTypes']} parallel tool {unit} in one turn"
        if width >= 2 and rng.random() < 0.6:
            params["min_parallelCallTypes"] = width
            text += f", and make at least {width} parallel tool {unit} in one turn"
        out.append(_entry("parallel_calls", text + ".", params))
    elif widest == 1 and rng.random() < 0.3:
        out.append(_entry("parallel_calls", "Call only one tool per turn (no parallel calls).",
                          {"max_parallelCallTypes": 1, "unit": "calls"}))
    pairs: list[tuple[str, str]] = []
    if len(turns) > 1 and rng.random() < 0.7:
        pairs = sorted({(a, b) for a in turns[0] for b in turns[1] if _same_domain(a, b)})
    if len(turns) > 1 and pairs:
        out.append(_entry("sequential_dependency", "Only call " + " and ".join(
            f"'{b}' after '{a}' has returned" for a, b in pairs) + ".",
            {"order_constraints": [list(p) for p in pairs]}))
    groups = [sorted(set(t)) for t in turns if len(set(t)) >= 2]
    if groups and rng.random() < 0.6:
        group = rng.choice(groups)
        out.append(_entry("parallel_dependency", "Call " + ", ".join(f"'{n}'" for n in group) +
                          " together in the same turn.", {"parallel_groups": [group]}))
    if not any(c["dimension"] == "behavior" for c in out):  # every task constrains all four dimensions
        unit = "tool types" if rng.random() < 0.5 else "calls"
        width = max(len(set(t)) for t in turns) if unit == "tool types" else widest
        out.append(_entry("parallel_calls", f"Make at most {width} parallel tool {unit} in one turn.",
                          {"max_parallelCallTypes": width, "unit": unit}))
    # toolset (always enforced, as CCTU's argument checker is)
    out.append(_entry("available_tools", "Only call the tools you are given.", {"available_tools": True}))
    out.append(_entry("tool_arguments", "Tool arguments must match each tool's schema exactly: all required "
                                        "keys, no extra keys, correct types and allowed values.",
                      {"tool_arguments": True}))
    # response
    response: dict[str, Any] = {}
    picks = [k for k in ("length", "format", "identifiers", "punctuation") if rng.random() < 0.5] or \
        [rng.choice(["length", "format", "identifiers", "punctuation"])]
    if "format" in picks:
        response["format"] = rng.choice(["json", "markdown_list"])
    if "identifiers" in picks and response.get("format") != "json":
        response["identifier"] = rng.choice([{"ends_with": rng.choice(MARKERS)}, {"boxed": True}])
    if "punctuation" in picks:
        response["punctuation"] = {"forbidden": sorted(rng.sample(FORBIDDEN, rng.choice([1, 2])))}
    answer = compose_answer(facts, response.get("format"), response.get("identifier"))
    if "format" in response:
        out.append(_entry("format", {"json": "Answer with a single JSON object only.",
                                     "markdown_list": "Format the whole answer as a Markdown bulleted list."}
                          [response["format"]], {"format": response["format"]}))
    if "identifier" in response:
        spec = response["identifier"]
        text = f"End the answer with {spec['ends_with']!r}." if "ends_with" in spec else \
            "Put the final answer in exactly one \\boxed{...}."
        out.append(_entry("identifiers", text, {"identifier": spec}))
    if "punctuation" in response:
        out.append(_entry("punctuation", "Do not use these punctuation marks in the answer: " +
                          " ".join(response["punctuation"]["forbidden"]) + ".", {"punctuation": response["punctuation"]}))
    if "length" in picks:
        words = rng.random() < 0.5
        size = len(answer.split()) if words else len(answer)
        unit = "words" if words else "characters"
        params = {"max_responseLength": math.ceil(size * 1.5) + (5 if words else 20), "unit": unit}
        text = f"Keep the answer to at most {params['max_responseLength']} {unit}"
        if rng.random() < 0.5:
            params["min_responseLength"] = size // 2
            text += f" and at least {size // 2} {unit}"
        out.append(_entry("length", text + ".", params))
    return out, answer


def _same_domain(a: str, b: str) -> bool:
    return any(a in {t.name for t in d.tools} and b in {t.name for t in d.tools} for d in DOMAINS)


def compose_answer(facts: list[tuple[str, str]], fmt: str | None, identifier: dict[str, Any] | None) -> str:
    """The gold answer: each fact stated once, shaped to the task's format and identifier constraints."""
    items = [f"{text[0].upper()}{text[1:]} is {value}" for text, value in facts]
    boxed = "\\boxed{" + " and ".join(v for _, v in facts) + "}"
    if fmt == "json":
        joined = " and ".join(f"{text} is {value}" for text, value in facts)
        return json.dumps({"answer": joined[0].upper() + joined[1:]})
    if fmt == "markdown_list":
        lines = [f"- {item}" for item in items]
        if identifier and identifier.get("boxed"):
            lines.append(f"- Final answer: {boxed}")
        if identifier and "ends_with" in identifier:
            lines[-1] += f" {identifier['ends_with']}"
        return "\n".join(lines)
    text = ". ".join(items) + "."
    if identifier and identifier.get("boxed"):
        text += f" Final answer: {boxed}"
    if identifier and "ends_with" in identifier:
        text += f" {identifier['ends_with']}"
    return text


def naive_answer(facts: list[list[str]]) -> str:
    """What a constraint-blind model writes: chatty, punctuated, unformatted and long."""
    items = ", ".join(f"{text} is {value}" for text, value in facts)
    return ("Sure! Here is what I found; after checking the tools, " + items + ". Anything else? ") * 4
