"""Tree-order fault search: the procedure a technician follows on a fault tree, and the minimal check count.

From the top event down: under an OR/XOR gate test the children in order and descend into the first one that
occurs; under an AND gate every child must occur, so each is tested and searched. The oracle runs this over
its current beliefs (re-running it after a correction is how it revisits a branch); the generator runs it over
the true states to record each entry's route.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from agentgym.envs.faulttree.tree import FaultTree

Status = Literal["normal", "abnormal"]


def next_step(tree: FaultTree, beliefs: Mapping[str, Status]
              ) -> tuple[Literal["ask"], str] | tuple[Literal["found"], set[str]] | tuple[Literal["stuck"], str]:
    """What the search needs next given what is known: a node to test, the failed basic events, or — when
    the beliefs contradict the gate logic (a failed event none of whose children failed) — ``stuck`` with
    the node where the contradiction sits."""

    def search(nid: str) -> tuple[str, object]:
        n = tree.node(nid)
        if n.type == "basic":
            return "found", {nid}
        found: set[str] = set()
        for c in n.children:
            status = beliefs.get(c)
            if status is None:
                return "ask", c
            if status == "normal":
                if n.gate == "AND":
                    return "stuck", nid
                continue
            kind, value = search(c)
            if kind != "found":
                return kind, value
            found |= value  # type: ignore[arg-type]
            if n.gate != "AND":
                return "found", found
        return ("found", found) if n.gate == "AND" else ("stuck", nid)

    return search(tree.top.id)  # type: ignore[return-value]


def find_causes(tree: FaultTree, occurs: Callable[[str], bool]) -> tuple[set[str], list[str]]:
    """Run the search against known states; returns the failed basic events and the nodes tested, in order."""
    beliefs: dict[str, Status] = {}
    route: list[str] = []
    while True:
        kind, value = next_step(tree, beliefs)
        if kind == "ask":
            route.append(value)  # type: ignore[arg-type]
            beliefs[value] = "abnormal" if occurs(value) else "normal"  # type: ignore[index]
        elif kind == "found":
            return value, route  # type: ignore[return-value]
        else:
            raise ValueError(f"fault tree {tree.id}: states contradict the gate logic at {value!r}")


def min_checks(tree: FaultTree, states: Mapping[str, bool]) -> int:
    """The fewest checks that can confirm the fault: one per event on the shortest failed route from the top
    event to the failed basic events (every branch of an AND gate counts). A searcher that guessed every
    branch right would ask exactly this many."""

    def cost(nid: str) -> int:
        n = tree.node(nid)
        if n.type == "basic":
            return 0
        failed = [c for c in n.children if states[c]]
        if n.gate == "AND":
            return sum(1 + cost(c) for c in n.children)
        return min(1 + cost(c) for c in failed)

    return cost(tree.top.id)
