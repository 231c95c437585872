"""The oracle: a diagnostician that follows the tree, reads the technician's words and handles corrections.

It only uses what an agent can see: the tree (the same one ``view_tree`` shows) and the conversation. Each
check takes three turns, as a careful agent's would: look the node up, ask the technician, record the finding.
A vague or unreadable answer is asked again; a tool error (e.g. injected noise) is retried. With
``handle_rollbacks`` a correction resets the retracted findings and the search re-runs from the top, which
revisits the affected branch; without it the correction is ignored, so the oracle proposes the decoy fault
(or, if the truthful answers that follow contradict its beliefs, gives its best guess) — it fails exactly on
the tasks where the technician misreads something.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from agentgym.envs.faulttree.search import Status, next_step
from agentgym.envs.faulttree.tree import FaultTree
from agentgym.envs.faulttree.user import CORRECTION_MARK, NODE_ID
from agentgym.types import Message, ToolCall


class FaultTreeOracle:
    def __init__(self, tree: FaultTree, *, handle_rollbacks: bool = True, max_reverifications: int = 2):
        self.tree = tree
        self.handle_rollbacks = handle_rollbacks
        self.max_reverifications = max_reverifications
        self.beliefs: dict[str, Status] = {}
        self.seen: dict[str, str] = {}  # node -> observation text reported
        self.looked_up: set[str] = set()
        self.asking: str | None = None
        self.to_record: list[tuple[str, str, str]] = []
        self.proposed = False
        self.summary = ""
        self.started = False
        self.reverifications = 0
        self.last: Message | None = None
        self._ids = itertools.count()

    # ------------------------------------------------------------------ acting
    def act(self, messages: Sequence[Message]) -> Message:
        last = messages[-1] if messages else None
        if last is not None and last.role == "tool" and last.error and self.last is not None:
            self.last = self._call(self.last.tool_calls[0].name, self.last.tool_calls[0].arguments)
            return self.last
        if last is not None and last.role == "user":
            self._read_user(last.content)
        self.last = self._decide()
        return self.last

    def _decide(self) -> Message:
        if not self.started:
            self.started = True
            return self._call("view_tree", {})
        if self.to_record:
            node, status, note = self.to_record.pop(0)
            return self._call("record_finding", {"node_id": node, "status": status, "note": note})
        if self.asking is not None:  # the last answer was vague or unreadable: ask again
            return self._ask(self.asking, again=True)
        if self.proposed:
            summary, self.summary = self.summary, ""
            if summary:
                return Message.assistant(f"Diagnosis: {summary}. Please apply the fix and the unit should work.")
            return Message.assistant("Noted. My diagnosis stands.")
        kind, value = next_step(self.tree, self.beliefs)
        if kind == "ask":
            node = str(value)
            if node not in self.looked_up:
                self.looked_up.add(node)
                return self._call("lookup_component", {"query": node})
            self.asking = node
            return self._ask(node)
        if kind == "found":
            return self._propose(sorted(value))  # type: ignore[arg-type]
        return self._stuck(str(value))

    def _stuck(self, node: str) -> Message:
        """The beliefs contradict the gate logic at ``node`` (a report was wrong). Re-check the branch from
        the top; an oracle that ignores corrections instead commits to its best guess."""
        if self.handle_rollbacks and self.reverifications < self.max_reverifications:
            self.reverifications += 1
            self.beliefs.clear()
            return self._decide()
        leaf = next((d for d in [node, *self.tree.descendants(node)] if self.tree.node(d).type == "basic"))
        check = self.tree.node(leaf).check
        assert check is not None
        self.seen.setdefault(leaf, check.abnormal[0].text)
        return self._propose([leaf])

    def _propose(self, causes: list[str]) -> Message:
        fixes = []
        for c in causes:
            check = self.tree.node(c).check
            assert check is not None
            obs = next((o for o in check.abnormal if o.text == self.seen.get(c)), check.abnormal[0])
            fixes.append(obs.fix)
        self.proposed = True
        self.summary = ", ".join(f"{c} ({self.tree.node(c).label}): {f}" for c, f in zip(causes, fixes))
        return self._call("propose_diagnosis", {"root_causes": causes, "fixes": fixes})

    def _ask(self, node: str, again: bool = False) -> Message:
        n = self.tree.node(node)
        assert n.check is not None
        if again:
            return Message.assistant(f"Could you look at {node} ({n.label}) once more, carefully, and tell me "
                                     f"exactly what you see? {n.check.instruction}.")
        return Message.assistant(f"Next, please check {node} ({n.label}): {n.check.instruction}. "
                                 "What do you observe?")

    def _call(self, name: str, arguments: dict[str, Any]) -> Message:
        return Message.assistant("", [ToolCall(id=f"call_{next(self._ids)}", name=name, arguments=arguments)])

    # ------------------------------------------------------------------ reading the technician
    def _read_user(self, text: str) -> None:
        answer, mark, correction = text.partition(CORRECTION_MARK)
        if self.asking is not None:
            self._read_answer(self.asking, answer)
        if mark and self.handle_rollbacks:
            self._read_correction(correction)

    def _read_answer(self, node: str, text: str) -> None:
        check = self.tree.node(node).check
        assert check is not None
        low = text.lower()
        if node not in text:
            return
        for obs in check.observations:
            if obs.text.lower() in low:
                status: Status = "abnormal" if obs.fault else "normal"
                self.beliefs[node] = status
                self.seen[node] = obs.text
                self.asking = None
                self.to_record.append((node, status, obs.text))
                return

    def _read_correction(self, text: str) -> None:
        ids = [i for i in NODE_ID.findall(text) if i in self.tree]
        if not ids:
            return
        corrected = ids[0]
        retracted = {i for i in ids[1:] if i != corrected}
        self.to_record = [r for r in self.to_record if r[0] not in retracted and r[0] != corrected]
        self.beliefs[corrected] = "normal"
        check = self.tree.node(corrected).check
        assert check is not None
        self.seen[corrected] = check.normal.text
        for r in retracted:
            self.beliefs.pop(r, None)
            self.seen.pop(r, None)
        self.to_record.append((corrected, "normal", "corrected by the technician: " + check.normal.text))
        self.proposed = False
