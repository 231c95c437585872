"""The textual fault-tree format: pydantic models, a validating parser, fault propagation and a compact rendering.

JFTA-Bench turned fault-tree *images* into text so a language model can reason over them. This module is that
text form for agentgym: a flat list of nodes whose ``children`` name other nodes by id, so a sub-tree shared by
several parents is written once and the tree is a DAG. ``parse_tree`` checks everything a diagnosis relies on
(one top event, no cycles, no dangling references, gate arity, a check on every node a technician can test, a
fix for every abnormal observation of a basic event) and fails with a ``FaultTreeError`` naming the node id and
the problem, because a silently broken tree makes a benchmark entry unsolvable.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentgym.errors import AgentGymError

NodeType = Literal["top", "intermediate", "basic"]
Gate = Literal["AND", "OR", "XOR"]
#: What a technician does to clear a basic event; a closed set so fix accuracy is an exact comparison.
FixAction = Literal["replace", "repair", "clean", "tighten", "adjust", "recalibrate", "reset", "refill",
                    "lubricate", "reconnect", "update_firmware", "flush"]
FIX_ACTIONS: tuple[str, ...] = FixAction.__args__  # type: ignore[attr-defined]


class FaultTreeError(AgentGymError, ValueError):
    """A fault tree is malformed. ``node_id`` names the offending node (``None`` for tree-level problems)."""

    def __init__(self, node_id: str | None, problem: str, tree_id: str | None = None):
        self.node_id, self.problem, self.tree_id = node_id, problem, tree_id
        where = f"node {node_id!r}" if node_id is not None else "tree"
        prefix = f"fault tree {tree_id!r}: " if tree_id else "fault tree: "
        super().__init__(f"{prefix}{where}: {problem}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Observation(_Model):
    """One thing a technician may see when performing a check. ``fault`` marks an abnormal finding; for a
    basic event every abnormal observation names the ``fix`` that clears it."""

    text: str = Field(min_length=1)
    fault: bool
    fix: FixAction | None = None


class Check(_Model):
    """The test a technician performs for a node, and every observation it can produce (exactly one normal)."""

    instruction: str = Field(min_length=1)
    observations: list[Observation] = Field(min_length=2)

    @property
    def normal(self) -> Observation:
        return next(o for o in self.observations if not o.fault)

    @property
    def abnormal(self) -> list[Observation]:
        return [o for o in self.observations if o.fault]


class Node(_Model):
    id: str = Field(min_length=1)
    label: str = Field(min_length=1)
    type: NodeType
    gate: Gate | None = None
    children: list[str] = Field(default_factory=list)
    check: Check | None = None


class FaultTree(_Model):
    """A whole fault tree. Use ``parse_tree`` to build one: the constructor alone does not check structure."""

    id: str = Field(min_length=1)
    domain: str = ""
    equipment: str = ""
    nodes: list[Node] = Field(min_length=1)

    @functools.cached_property
    def _index(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    @functools.cached_property
    def _parents(self) -> dict[str, list[str]]:
        parents: dict[str, list[str]] = {n.id: [] for n in self.nodes}
        for n in self.nodes:
            for c in n.children:
                parents.setdefault(c, []).append(n.id)
        return parents

    def node(self, node_id: str) -> Node:
        try:
            return self._index[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r} in fault tree {self.id!r}") from None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._index

    @property
    def top(self) -> Node:
        return next(n for n in self.nodes if n.type == "top")

    def parents(self, node_id: str) -> list[str]:
        return list(self._parents.get(node_id, []))

    def basic_events(self) -> list[Node]:
        return [n for n in self.nodes if n.type == "basic"]

    def descendants(self, node_id: str) -> list[str]:
        """Every node below ``node_id`` (each once, depth-first in child order)."""
        seen: list[str] = []
        stack = list(reversed(self.node(node_id).children))
        while stack:
            nid = stack.pop()
            if nid in seen:
                continue
            seen.append(nid)
            stack.extend(reversed(self.node(nid).children))
        return seen


def parse_tree(data: Mapping[str, Any] | FaultTree) -> FaultTree:
    """Validate a fault tree given as JSON data. Raises ``FaultTreeError`` naming the node and the problem."""
    if isinstance(data, FaultTree):
        data = data.model_dump(mode="json")
    if not isinstance(data, Mapping):
        raise FaultTreeError(None, f"expected a JSON object, got {type(data).__name__}")
    tree_id = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        tree = FaultTree.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(exc, data, tree_id) from None
    _check_structure(tree)
    return tree


def _schema_error(exc: ValidationError, data: Mapping[str, Any], tree_id: str | None) -> FaultTreeError:
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    node_id = None
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        raw = (data.get("nodes") or [])[loc[1]]
        node_id = raw.get("id") if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) \
            else f"<nodes[{loc[1]}]>"
        loc = loc[2:]
    field = ".".join(str(p) for p in loc) or "(node)"
    return FaultTreeError(node_id, f"field '{field}': {err['msg']}", tree_id)


def _check_structure(tree: FaultTree) -> None:
    def fail(node_id: str | None, problem: str) -> FaultTreeError:
        return FaultTreeError(node_id, problem, tree.id)

    seen: set[str] = set()
    for n in tree.nodes:
        if n.id in seen:
            raise fail(n.id, "duplicate node id")
        seen.add(n.id)
    tops = [n.id for n in tree.nodes if n.type == "top"]
    if len(tops) != 1:
        raise fail(None, f"needs exactly one node of type 'top', found {len(tops)}"
                         + (f" ({', '.join(tops)})" if tops else ""))
    for n in tree.nodes:
        _check_node(n, tree, fail)
    _check_acyclic(tree, fail)
    reachable = {tree.top.id, *tree.descendants(tree.top.id)}
    for n in tree.nodes:
        if n.id not in reachable:
            raise fail(n.id, f"is not reachable from the top event {tree.top.id!r}")


def _check_node(n: Node, tree: FaultTree, fail: Any) -> None:
    if n.type == "basic":
        if n.gate is not None or n.children:
            raise fail(n.id, "a basic event cannot have a gate or children")
        if n.check is None:
            raise fail(n.id, "a basic event needs a 'check' (what the technician tests)")
        for obs in n.check.abnormal:
            if obs.fix is None:
                raise fail(n.id, f"abnormal observation {obs.text!r} of a basic event needs a 'fix'")
    else:
        if n.gate is None:
            raise fail(n.id, f"a {n.type} event needs a gate (AND, OR or XOR)")
        if len(n.children) < 2:
            raise fail(n.id, f"gate {n.gate} needs at least 2 children, has {len(n.children)}")
        if len(set(n.children)) != len(n.children):
            dup = next(c for c in n.children if n.children.count(c) > 1)
            raise fail(n.id, f"child {dup!r} is listed twice")
        for c in n.children:
            if c not in tree:
                raise fail(n.id, f"child {c!r} does not exist (dangling reference)")
            if tree.node(c).type == "top":
                raise fail(n.id, f"child {c!r} is the top event; the top event cannot be a child")
        if n.type == "intermediate" and n.check is None:
            raise fail(n.id, "an intermediate event needs a 'check' so a technician can test it")
        if n.type == "top" and n.check is not None:
            raise fail(n.id, "the top event is the reported symptom and takes no 'check'")
    if n.check is not None:
        normal = [o for o in n.check.observations if not o.fault]
        if len(normal) != 1:
            raise fail(n.id, f"a check needs exactly one normal observation, has {len(normal)}")
        if not n.check.abnormal:
            raise fail(n.id, "a check needs at least one abnormal observation")
        texts = [o.text for o in n.check.observations]
        if len(set(texts)) != len(texts):
            raise fail(n.id, "two observations of the same check have the same text")
        if n.type != "basic" and any(o.fix for o in n.check.observations):
            raise fail(n.id, "only basic events carry fixes")


def _check_acyclic(tree: FaultTree, fail: Any) -> None:
    """Iterative three-colour DFS; a back edge is reported at the node that closes the cycle."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {n.id: WHITE for n in tree.nodes}
    for start in tree.nodes:
        if colour[start.id] != WHITE:
            continue
        path: list[str] = [start.id]
        colour[start.id] = GREY
        iters = [iter(start.children)]
        while iters:
            child = next(iters[-1], None)
            if child is None:
                iters.pop()
                colour[path.pop()] = BLACK
                continue
            if colour[child] == GREY:
                cycle = path[path.index(child):] + [child]
                raise fail(path[-1], f"cycle through {' -> '.join(cycle)}")
            if colour[child] == WHITE:
                colour[child] = GREY
                path.append(child)
                iters.append(iter(tree.node(child).children))


def fault_states(tree: FaultTree, faulty_basic: Iterable[str]) -> dict[str, bool]:
    """Which events occur when exactly ``faulty_basic`` basic events have failed (gate logic, bottom-up)."""
    faulty = set(faulty_basic)
    memo: dict[str, bool] = {}

    def state(nid: str) -> bool:
        if nid in memo:
            return memo[nid]
        n = tree.node(nid)
        if n.type == "basic":
            value = nid in faulty
        else:
            kids = [state(c) for c in n.children]
            value = all(kids) if n.gate == "AND" else sum(kids) == 1 if n.gate == "XOR" else any(kids)
        memo[nid] = value
        return value

    for n in tree.nodes:
        state(n.id)
    return memo


def render_tree(tree: FaultTree, root: str | None = None, *, depth: int | None = None,
                findings: Mapping[str, str] | None = None) -> str:
    """A compact indented rendering for prompts: one line per node, ``[id] label GATE``.

    A shared node is expanded the first time it appears and shown as ``(shared, see above)`` afterwards;
    ``findings`` (node id -> status) are shown as ``{normal}``/``{abnormal}`` marks; ``depth`` limits how many
    levels below ``root`` are shown (a cut branch ends with ``...``).
    """
    findings = findings or {}
    start = tree.node(root) if root is not None else tree.top
    lines: list[str] = []
    if root is None:
        lines.append(f"Fault tree {tree.id} ({tree.domain}: {tree.equipment})")
    expanded: set[str] = set()
    stack: list[tuple[str, int]] = [(start.id, 0)]
    while stack:
        nid, level = stack.pop()
        n = tree.node(nid)
        parts = [f"{'  ' * level}[{n.id}] {n.label}"]
        parts.append(n.gate if n.gate else "(basic)")
        if nid in findings:
            parts.append(f"{{{findings[nid]}}}")
        if nid in expanded and n.children:
            parts.append("(shared, see above)")
            lines.append(" ".join(parts))
            continue
        expanded.add(nid)
        if n.children and depth is not None and level >= depth:
            parts.append("...")
            lines.append(" ".join(parts))
            continue
        lines.append(" ".join(parts))
        for c in reversed(n.children):
            stack.append((c, level + 1))
    return "\n".join(lines)
