"""Deterministic generator of the fault-tree library and of the diagnosis entries (tasks) over it.

Trees are identified as ``<domain>-<nn>`` and rebuilt from that id alone (seeded), so the task files stay
small: a task names its tree and carries the tree's sha256, which the env checks when it loads the tree, so a
generator change that alters a tree cannot silently detach the committed tasks from it.

An entry fixes the failed basic events (one, or one per branch of a redundant AND pair), the observation the
technician will report for every event that occurs, and — with probability ``ROLLBACK_RATE`` — a misread:
an intermediate event the tree-order search checks before reaching the fault, reported abnormal together with
a consistent "decoy" branch below it, and corrected ``delay`` answers later.
"""

from __future__ import annotations

import functools
import random
from typing import Any

from agentgym.envs.faulttree.search import find_causes, min_checks
from agentgym.envs.faulttree.tree import FaultTree, fault_states, parse_tree
from agentgym.envs.faulttree.vocabulary import DOMAINS, KINDS
from agentgym.types import sha256_of

TREES_PER_DOMAIN = 13
ENTRIES_PER_TREE = 12
#: one tree in five (by index) is a test tree; the others are train trees
TEST_EVERY = 5
ROLLBACK_RATE = 0.3
VAGUE_RATE = 0.35
ROLLBACK_DELAY = (3, 6)


def tree_ids(split: str | None = None) -> list[str]:
    out = []
    for domain in DOMAINS:
        for k in range(TREES_PER_DOMAIN):
            s = "test" if k % TEST_EVERY == 0 else "train"
            if split in (None, s):
                out.append(f"{domain}-{k:02d}")
    return out


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Builder:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.nodes: list[dict[str, Any]] = []

    def add(self, label: str, type_: str, gate: str | None = None, check: dict[str, Any] | None = None
            ) -> dict[str, Any]:
        node: dict[str, Any] = {"id": f"{self.prefix}-{len(self.nodes):03d}", "label": _cap(label),
                                "type": type_, "children": []}
        if gate:
            node["gate"] = gate
        if check:
            node["check"] = check
        self.nodes.append(node)
        return node


def _check(instruction: str, normal: str, abnormal: list[tuple[str, str | None]], c: str) -> dict[str, Any]:
    obs = [{"text": _cap(normal.format(c=c)), "fault": False}]
    for text, fix in abnormal:
        o: dict[str, Any] = {"text": _cap(text.format(c=c)), "fault": True}
        if fix:
            o["fix"] = fix
        obs.append(o)
    return {"instruction": _cap(instruction.format(c=c)), "observations": obs}


def _component(b: _Builder, name: str, kind_name: str, rng: random.Random) -> dict[str, Any]:
    kind = KINDS[kind_name]
    node = b.add(f"{name} malfunction", "intermediate", kind.gate,
                 _check(kind.instruction, kind.normal, [(a, None) for a in kind.abnormal], name))
    modes = list(kind.modes)
    if len(modes) > 2 and rng.random() < 0.25:
        modes = rng.sample(modes, len(modes) - 1)
    for mode in modes:
        leaf = b.add(mode.label.format(c=name), "basic",
                     check=_check(mode.instruction, mode.normal, list(mode.abnormal), name))
        node["children"].append(leaf["id"])
    return node


def _redundant_pair(b: _Builder, name: str, kind_name: str, rng: random.Random) -> dict[str, Any]:
    node = b.add(f"both {name} units failed", "intermediate", "AND",
                 _check("Read the redundancy status of the {c} pair on the controller",
                        "at least one {c} unit is reported healthy",
                        [("both {c} units are reported in fault", None)], name))
    for unit in ("A", "B"):
        node["children"].append(_component(b, f"{name} {unit}", kind_name, rng)["id"])
    return node


@functools.lru_cache(maxsize=256)
def build_tree_data(tree_id: str) -> dict[str, Any]:
    """The JSON data of one library tree (deterministic in ``tree_id``)."""
    domain_name, _, number = tree_id.rpartition("-")
    if domain_name not in DOMAINS or not number.isdigit():
        raise KeyError(f"unknown fault tree {tree_id!r}; library trees are <domain>-<nn> with domain in "
                       f"{', '.join(DOMAINS)}")
    domain = DOMAINS[domain_name]
    rng = random.Random(f"faulttree/tree/{tree_id}")
    b = _Builder(f"{domain.code}{int(number):02d}")
    equipment = rng.choice(domain.equipment)
    top = b.add(rng.choice(domain.top), "top", "OR")
    subsystems = list(domain.subsystems)
    rng.shuffle(subsystems)
    sub_nodes = []
    redundant_done = False
    for sub in subsystems:
        node = b.add(sub.event, "intermediate", "OR",
                     _check(sub.instruction, sub.normal, [(a, None) for a in sub.abnormal], sub.name))
        top["children"].append(node["id"])
        comps = list(sub.components)
        rng.shuffle(comps)
        comps = comps[:rng.randint(min(4, len(comps)), len(comps))]
        for name, kind in comps:
            if name in domain.redundant and not redundant_done:
                child = _redundant_pair(b, name, kind, rng)
                redundant_done = True
            else:
                child = _component(b, name, kind, rng)
            node["children"].append(child["id"])
        sub_nodes.append(node)
    if not redundant_done:  # every tree has one redundant pair (an AND gate)
        owner = next(i for i, sub in enumerate(subsystems) if dict(sub.components).get(domain.redundant[0]))
        kind = dict(subsystems[owner].components)[domain.redundant[0]]
        sub_nodes[owner]["children"].append(_redundant_pair(b, domain.redundant[0], kind, rng)["id"])
    shared = _component(b, domain.shared[0], domain.shared[1], rng)
    for parent in rng.sample(sub_nodes, 2):
        parent["children"].insert(rng.randint(0, len(parent["children"])), shared["id"])
    return {"id": tree_id, "domain": domain_name, "equipment": equipment, "nodes": b.nodes}


@functools.lru_cache(maxsize=256)
def load_library_tree(tree_id: str) -> FaultTree:
    return parse_tree(build_tree_data(tree_id))


def tree_digest(tree_id: str) -> str:
    return sha256_of(build_tree_data(tree_id))


# ---------------------------------------------------------------------------------------------- entries
def _cause_sets(tree: FaultTree) -> list[tuple[str, ...]]:
    """Every failure that makes the top event occur: a single basic event anywhere outside a redundant AND
    pair, and one failure mode per unit of a pair."""
    sets: list[tuple[str, ...]] = []
    paired: set[str] = set()
    for n in tree.nodes:
        if n.gate == "AND":
            paired.update(tree.descendants(n.id))
            a, b = (tree.node(c) for c in n.children[:2])
            sets.extend((x, y) for x in a.children for y in b.children)
    return [(n.id,) for n in tree.basic_events() if n.id not in paired] + sets


def _choose_observations(tree: FaultTree, states: dict[str, bool], rng: random.Random) -> dict[str, int]:
    """For every event that occurs, which of its abnormal observations the technician will report."""
    out = {}
    for n in tree.nodes:
        if states[n.id] and n.check is not None:
            out[n.id] = rng.randrange(len(n.check.abnormal))
    return out


def _decoy(tree: FaultTree, node_id: str, rng: random.Random, out: dict[str, int]) -> None:
    """The branch a technician misreading ``node_id`` will (consistently) report as failed."""
    n = tree.node(node_id)
    assert n.check is not None
    out[node_id] = rng.randrange(len(n.check.abnormal))
    if n.type == "basic":
        return
    if n.gate == "AND":
        for c in n.children:
            _decoy(tree, c, rng, out)
    else:
        unshared = [c for c in n.children if len(tree.parents(c)) == 1]
        _decoy(tree, rng.choice(unshared or n.children), rng, out)


def _rollback(tree: FaultTree, states: dict[str, bool], rng: random.Random) -> dict[str, Any] | None:
    """A misread of a healthy intermediate event the tree-order search passes on its way to the fault."""
    candidates = []
    frontier = [tree.top.id]
    while frontier:
        nid = frontier.pop()
        n = tree.node(nid)
        if n.type == "basic":
            continue
        for c in n.children:
            if states[c]:
                frontier.append(c)
                if n.gate != "AND":
                    break
            elif tree.node(c).type == "intermediate" and not any(states[d] for d in tree.descendants(c)):
                candidates.append(c)
    if not candidates:
        return None
    misread = rng.choice(sorted(set(candidates)))
    decoy: dict[str, int] = {}
    _decoy(tree, misread, rng, decoy)
    return {"node": misread, "decoy": decoy, "delay": rng.randint(*ROLLBACK_DELAY)}


def _instruction(tree: FaultTree, rng: random.Random) -> str:
    opener = rng.choice(["Hi, I'm on site with", "Hello, I'm the technician looking after",
                         "Good morning. I'm standing in front of"])
    return (f"{opener} our {tree.equipment} (fault tree {tree.id}). The problem: {tree.top.label.lower()}. "
            "Can you guide me through the fault tree to find the cause? Tell me which node to check and I'll "
            "report what I see.")


def generate_entries(split: str) -> list[dict[str, Any]]:
    """The diagnosis entries of a split as plain data (tree id, faults, observations, rollback plan, gold)."""
    entries = []
    for tree_id in tree_ids(split):
        tree = load_library_tree(tree_id)
        rng = random.Random(f"faulttree/entries/{tree_id}")
        pool = _cause_sets(tree)
        for causes in rng.sample(pool, min(ENTRIES_PER_TREE, len(pool))):
            states = fault_states(tree, causes)
            assert states[tree.top.id], (tree_id, causes)
            observations = _choose_observations(tree, states, rng)
            found, route = find_causes(tree, lambda nid: states[nid])
            assert found == set(causes), (tree_id, causes, found)
            rollback = _rollback(tree, states, rng) if rng.random() < ROLLBACK_RATE else None
            fixes = {c: tree.node(c).check.abnormal[observations[c]].fix for c in causes}  # type: ignore[union-attr]
            entries.append({
                "tree_id": tree_id, "causes": sorted(causes), "fixes": fixes, "observations": observations,
                "rollback": rollback, "route": route, "min_checks": min_checks(tree, states),
                "instruction": _instruction(tree, rng),
            })
    return entries
