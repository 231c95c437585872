"""Episode metrics of a fault-tree diagnosis, computed from the trajectory alone.

- ``root_cause_accuracy``: the last accepted ``propose_diagnosis`` names exactly the failed basic events.
- ``fix_accuracy``: ... and the fix for each matches the observation the technician reported.
- ``path_efficiency``: minimal checks (``gold.min_checks``, see ``search.min_checks``) / checks asked, capped
  at 1. A check asked again after a vague answer counts: following up costs a turn.
- ``recovery_rate``: among episodes where the technician corrected a misread, whether the final diagnosis
  is still right (``None`` when no correction happened, so it is left out of the run's average).
- ``premature_conclusions``: proposals naming an event the technician had not clearly reported abnormal at
  that point (guessing after a vague answer, or relying on a retracted report).
- ``turns``: agent turns (tool-call turns and messages to the technician).

Check counts and corrections come from the scripted technician's per-turn decisions (``step.info["user"]``);
with another user simulator, checks are counted from the agent's messages that name a node id.
"""

from __future__ import annotations

from typing import Any

from agentgym.envs.faulttree.user import NODE_ID, TECHNICIAN_DECISIONS
from agentgym.types import Trajectory


def _proposals(traj: Trajectory) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for step in traj.steps:
        errors = {m.tool_call_id: m.error for m in step.observation if m.role == "tool"}
        for call in step.action.tool_calls:
            if call.name == "propose_diagnosis" and call.id in errors and errors[call.id] is None:
                out.append((step.index, call.arguments))
    return out


def score_trajectory(traj: Trajectory) -> dict[str, Any]:
    gold = traj.task.gold
    proposals = _proposals(traj)
    final = proposals[-1][1] if proposals else None
    causes = list(final.get("root_causes") or []) if final else []
    fixes = list(final.get("fixes") or []) if final else []
    root_ok = sorted(set(causes)) == sorted(gold["root_causes"]) and len(causes) == len(set(causes))
    fix_ok = root_ok and dict(zip(causes, fixes)) == gold["fixes"]

    infos = [s.info.get("user") or {} for s in traj.steps]
    scripted = any(i.get("kind") in TECHNICIAN_DECISIONS for i in infos)
    if scripted:
        checks = sum(1 for i in infos if i.get("kind") == "answer")
    else:
        prefix = gold["root_causes"][0].split("-")[0] if gold.get("root_causes") else ""
        checks = sum(1 for s in traj.steps if not s.action.tool_calls and any(
            i.startswith(prefix) for i in NODE_ID.findall(s.action.content)))
    efficiency = min(1.0, gold["min_checks"] / checks) if checks else 0.0

    rollback_fired = any("rollback" in i for i in infos)
    premature = 0
    standing: dict[str, str] = {}
    by_step: dict[int, list[dict[str, Any]]] = {}
    for index, args in proposals:
        by_step.setdefault(index, []).append(args)
    for step, info in zip(traj.steps, infos):
        for args in by_step.get(step.index, []):
            if any(standing.get(c) != "abnormal" for c in args.get("root_causes") or []):
                premature += 1
        if info.get("kind") == "answer" and info.get("reported") in ("normal", "abnormal"):
            standing[info["node"]] = info["reported"]
        if "rollback" in info:
            for node in info["rollback"]["retracted"]:
                standing.pop(node, None)
            standing[info["rollback"]["node"]] = "normal"

    return {
        "success": bool(root_ok and fix_ok),
        "root_cause_accuracy": float(root_ok),
        "fix_accuracy": float(fix_ok),
        "path_efficiency": round(efficiency, 6),
        "recovery_rate": (float(root_ok) if rollback_fired else None),
        "rollback": rollback_fired,
        "premature_conclusions": premature if scripted else None,
        "proposals": len(proposals),
        "checks_asked": checks,
        "min_checks": gold["min_checks"],
        "turns": len(traj.steps),
        "proposed": {"root_causes": causes, "fixes": fixes},
    }
