"""The textual fault-tree format: the parser rejects malformed trees naming the node and the problem; gate
logic, rendering and the generated library."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from agentgym.envs.faulttree import FaultTreeError, parse_tree, render_tree
from agentgym.envs.faulttree.generator import build_tree_data, load_library_tree, tree_ids
from agentgym.envs.faulttree.tree import fault_states
from agentgym.errors import AgentGymError


def check(fault: bool = False, fix: str | None = None) -> dict[str, Any]:
    bad: dict[str, Any] = {"text": "reads open circuit", "fault": True}
    if fix:
        bad["fix"] = fix
    return {"instruction": "Measure it", "observations": [{"text": "reads normal", "fault": False}, bad]}


def small_tree() -> dict[str, Any]:
    """top OR(A, S); A OR(a1, S); S AND(s1, s2) shared by top and A; so the tree is a DAG."""
    return {"id": "t", "domain": "test", "equipment": "rig", "nodes": [
        {"id": "T", "label": "Rig fails", "type": "top", "gate": "OR", "children": ["A", "S"]},
        {"id": "A", "label": "Drive fails", "type": "intermediate", "gate": "XOR", "children": ["a1", "S"],
         "check": check()},
        {"id": "S", "label": "Both supplies fail", "type": "intermediate", "gate": "AND", "children": ["s1", "s2"],
         "check": check()},
        {"id": "a1", "label": "Motor open", "type": "basic", "check": check(fix="replace")},
        {"id": "s1", "label": "Supply 1 dead", "type": "basic", "check": check(fix="reset")},
        {"id": "s2", "label": "Supply 2 dead", "type": "basic", "check": check(fix="replace")},
    ]}


def node(tree: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in tree["nodes"] if n["id"] == node_id)


def test_valid_dag_parses_and_keeps_shared_node_once() -> None:
    tree = parse_tree(small_tree())
    assert tree.top.id == "T"
    assert sorted(tree.parents("S")) == ["A", "T"]
    assert [n.id for n in tree.basic_events()] == ["a1", "s1", "s2"]
    # round trip through JSON text
    assert parse_tree(json.loads(tree.model_dump_json())) == tree


def _broken(mutate: Any) -> dict[str, Any]:
    data = small_tree()
    mutate(data)
    return data


MALFORMED = [
    ("cycle", lambda d: node(d, "a1").update(type="intermediate", gate="OR", children=["A", "s1"],
                                              check=check()), "a1", "cycle through"),
    ("dangling", lambda d: node(d, "A")["children"].append("ghost"), "A", "'ghost' does not exist"),
    ("arity", lambda d: node(d, "S").update(children=["s1"]), "S", "needs at least 2 children, has 1"),
    ("basic_with_children", lambda d: node(d, "a1").update(children=["s1"]), "a1",
     "basic event cannot have a gate or children"),
    ("no_gate", lambda d: node(d, "A").pop("gate"), "A", "needs a gate"),
    ("bad_gate", lambda d: node(d, "S").update(gate="NAND"), "S", "field 'gate'"),
    ("duplicate_id", lambda d: d["nodes"].append(copy.deepcopy(node(d, "s2"))), "s2", "duplicate node id"),
    ("child_twice", lambda d: node(d, "S").update(children=["s1", "s1"]), "S", "listed twice"),
    ("basic_without_check", lambda d: node(d, "s1").pop("check"), "s1", "needs a 'check'"),
    ("intermediate_without_check", lambda d: node(d, "A").pop("check"), "A", "needs a 'check'"),
    ("abnormal_without_fix", lambda d: node(d, "s2").update(check=check()), "s2", "needs a 'fix'"),
    ("unknown_fix", lambda d: node(d, "s2").update(check=check(fix="pray")), "s2", "fix"),
    ("two_normal", lambda d: node(d, "a1")["check"]["observations"].append({"text": "fine", "fault": False}),
     "a1", "exactly one normal observation, has 2"),
    ("top_as_child", lambda d: node(d, "A")["children"].append("T"), "A", "top event cannot be a child"),
    ("unreachable", lambda d: d["nodes"].append({"id": "z", "label": "Orphan", "type": "basic",
                                                  "check": check(fix="clean")}), "z", "not reachable"),
    ("missing_label", lambda d: node(d, "s1").pop("label"), "s1", "field 'label'"),
    ("extra_field", lambda d: node(d, "s1").update(colour="red"), "s1", "field 'colour'"),
]


@pytest.mark.parametrize(("case", "mutate", "node_id", "problem"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_parser_rejects_malformed_tree_naming_node_and_problem(case: str, mutate: Any, node_id: str,
                                                               problem: str) -> None:
    with pytest.raises(FaultTreeError) as info:
        parse_tree(_broken(mutate))
    err = info.value
    assert isinstance(err, AgentGymError) and isinstance(err, ValueError)
    assert err.node_id == node_id, str(err)
    assert problem in err.problem, str(err)
    assert repr(node_id) in str(err) and "fault tree 't'" in str(err)


def test_tree_level_errors() -> None:
    with pytest.raises(FaultTreeError, match="exactly one node of type 'top', found 2"):
        parse_tree(_broken(lambda d: node(d, "A").update(type="top", check=None)))
    with pytest.raises(FaultTreeError, match="expected a JSON object"):
        parse_tree([1, 2])  # type: ignore[arg-type]
    with pytest.raises(FaultTreeError) as info:
        parse_tree({"id": "t", "nodes": []})
    assert info.value.node_id is None and "nodes" in info.value.problem


def test_gate_logic() -> None:
    tree = parse_tree(small_tree())
    only_s1 = fault_states(tree, ["s1"])
    assert not only_s1["S"] and not only_s1["T"]  # AND needs both supplies
    both = fault_states(tree, ["s1", "s2"])
    assert both["S"] and both["T"]
    assert both["A"]  # XOR(a1, S): exactly one child occurs
    assert fault_states(tree, ["a1"])["A"]
    a1_and_supplies = fault_states(tree, ["a1", "s1", "s2"])
    assert not a1_and_supplies["A"] and a1_and_supplies["T"]  # XOR with both children: no event


def test_render_compact_with_shared_nodes_findings_and_depth() -> None:
    tree = parse_tree(small_tree())
    text = render_tree(tree, findings={"A": "abnormal"})
    lines = text.splitlines()
    assert lines[0] == "Fault tree t (test: rig)"
    assert "[A] Drive fails XOR {abnormal}" in text
    assert sum("[S] Both supplies fail AND" in ln for ln in lines) == 2
    assert sum("(shared, see above)" in ln for ln in lines) == 1
    assert sum("[s1]" in ln for ln in lines) == 1  # a shared sub-tree is expanded once
    sub = render_tree(tree, "A", depth=0)
    assert sub == "[A] Drive fails XOR ..."
    assert "  [a1] Motor open (basic)" in render_tree(tree, "A")


def test_library_trees_are_realistic_dags() -> None:
    ids = tree_ids()
    assert len(ids) >= 100
    trees = [load_library_tree(i) for i in ids]
    sizes = [len(t.nodes) for t in trees]
    assert sum(sizes) / len(sizes) >= 100 and min(sizes) >= 80
    assert len({t.domain for t in trees}) >= 8
    for t in trees:
        gates = {n.gate for n in t.nodes}
        assert {"AND", "OR", "XOR"} <= gates, t.id
        assert any(len(t.parents(n.id)) > 1 for n in t.nodes), f"{t.id} has no shared sub-tree"
    # deterministic and independent of build order
    assert build_tree_data.__wrapped__(ids[7]) == build_tree_data(ids[7])
    with pytest.raises(KeyError, match="unknown fault tree"):
        build_tree_data("toaster-01")
