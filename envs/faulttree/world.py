"""The fault-tree world: the tree of the equipment under diagnosis, the agent's findings and its proposals.

The tree arrives in the world's config as JSON (the documented format), so every sandbox backend hosts the
same data; the state holds only what the agent writes (findings, proposed diagnoses) and stays small for
snapshots. The world never knows the true fault: the technician (the user simulator) does.
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

from agentgym.envs.faulttree.tree import FaultTree, FixAction, parse_tree, render_tree
from agentgym.tools import tool
from agentgym.types import sha256_of
from agentgym.world import World

_PARSED: dict[str, FaultTree] = {}


def _parse_cached(data: dict[str, Any]) -> FaultTree:
    key = sha256_of(data)
    if key not in _PARSED:
        _PARSED[key] = parse_tree(data)
    return _PARSED[key]


class FaultTreeWorld(World):
    def __init__(self, state: dict[str, Any] | None = None, config: dict[str, Any] | None = None):
        super().__init__(state or {"findings": {}, "proposals": []}, config)
        self.tree = _parse_cached(self.config["tree"])

    def _node(self, node_id: str) -> Any:
        if node_id not in self.tree:
            close = difflib.get_close_matches(node_id, [n.id for n in self.tree.nodes], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else "; use view_tree to see the node ids"
            raise KeyError(f"no node {node_id!r} in fault tree {self.tree.id}{hint}")
        return self.tree.node(node_id)

    @tool
    def view_tree(self, node_id: str | None = None, depth: int | None = None) -> str:
        """Show the fault tree (or the sub-tree under one node) as indented text: one line per event with its
        id, label and gate, plus the findings recorded so far.

        Args:
            node_id: Show only the sub-tree under this node; omit for the whole tree.
            depth: How many levels below the node to show; omit for all.
        """
        if node_id is not None:
            self._node(node_id)
        if depth is not None and depth < 0:
            raise ValueError("depth must be >= 0")
        findings = {k: v["status"] for k, v in self.state["findings"].items()}
        return render_tree(self.tree, node_id, depth=depth, findings=findings)

    @tool
    def lookup_component(self, query: str) -> dict[str, Any]:
        """Look up one event of the tree by node id (or by words of its label): its type, gate, parents and
        children, the check a technician performs, the observations that check can give (normal or abnormal)
        and, for basic events, the fix for each abnormal observation.

        Args:
            query: A node id such as "HV03-017", or words from a label such as "condenser fan".
        """
        if query not in self.tree:
            words = query.lower().split()
            hits = [n for n in self.tree.nodes if words and all(w in n.label.lower() for w in words)]
            if len(hits) != 1:
                if not hits:
                    self._node(query)  # raises with suggestions
                return {"matches": [{"id": n.id, "label": n.label} for n in hits[:15]],
                        "hint": "several events match; look one up by its id"}
            query = hits[0].id
        n = self._node(query)
        out: dict[str, Any] = {"id": n.id, "label": n.label, "type": n.type, "parents": self.tree.parents(n.id)}
        if n.gate:
            out["gate"] = n.gate
            out["children"] = [{"id": c, "label": self.tree.node(c).label} for c in n.children]
        if n.check is not None:
            out["check"] = n.check.instruction
            out["observations"] = [
                {"text": o.text, "status": "abnormal" if o.fault else "normal", **({"fix": o.fix} if o.fix else {})}
                for o in n.check.observations]
        if n.id in self.state["findings"]:
            out["finding"] = self.state["findings"][n.id]
        return out

    @tool(mutates=True)
    def record_finding(self, node_id: str, status: Literal["normal", "abnormal", "unclear"], note: str = "") -> str:
        """Write down what a check showed for an event (overwrites an earlier finding for it, e.g. after the
        technician corrects a report). Findings appear in view_tree.

        Args:
            node_id: The event the finding is about.
            status: What the check showed: normal, abnormal, or unclear (ask again).
            note: The technician's words or a reading, for the record.
        """
        node = self._node(node_id)
        previous = self.state["findings"].get(node_id)
        self.state["findings"][node_id] = {"status": status, "note": note,
                                           "revision": (previous["revision"] + 1) if previous else 0}
        verb = "revised" if previous else "recorded"
        return f"{verb} finding for {node_id} ({node.label}): {status}"

    @tool(mutates=True)
    def propose_diagnosis(self, root_causes: list[str], fixes: list[FixAction]) -> str:
        """Propose the diagnosis: the failed basic event(s) and the fix for each. A redundant AND pair fails only
        when both units fail, so name one basic event per unit. Afterwards tell the technician the diagnosis.

        Args:
            root_causes: Node ids of the failed basic events.
            fixes: The fix for each root cause, in the same order.
        """
        if not root_causes:
            raise ValueError("name at least one root cause")
        if len(fixes) != len(root_causes):
            raise ValueError(f"give one fix per root cause ({len(root_causes)} causes, {len(fixes)} fixes)")
        for rc in root_causes:
            if self._node(rc).type != "basic":
                raise ValueError(f"{rc} is a {self.tree.node(rc).type} event; a root cause must be a basic event")
        self.state["proposals"].append({"root_causes": list(root_causes), "fixes": list(fixes)})
        shown = ", ".join(f"{rc} ({self.tree.node(rc).label}) -> {fx}" for rc, fx in zip(root_causes, fixes))
        return f"diagnosis #{len(self.state['proposals'])} recorded: {shown}. Now tell the technician."
