"""The simulated AMemGym user: replays sessions in time order, then asks the evaluation questions.

The episode is a fixed *script* of user prompts derived from the record (``build_script``): for every
period, its sessions (``rounds`` user turns each, the first one the session's query with a
``[Current Time: ...]`` prefix), then -- after each period, or only at the end -- the multiple-choice
questions, optionally the same questions with the gold state given (the measured upper bound), and one
state probe per required variable ("what is my current X?") used to diagnose errors.

The simulator reveals only what the current session exposes: round 0 is the session's query, later
rounds are neutral follow-ups (or the LLM simulator's reply, which is rejected if it states a value of a
variable the session does not expose). Each reply's ``info`` records the parsed answer to the previous
prompt, so a trajectory alone is enough to re-score the episode. Only an integer cursor is kept between
turns, so memory does not grow with episode length.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from agentgym.env import derive_seed
from agentgym.simulators import UserSimulator, UserTurn
from agentgym.types import Message, Task

from agentgym.envs.memory.record import UserRecord

FOLLOW_UPS = [
    "Thanks, that's helpful. Could you go into a little more detail?",
    "Makes sense. What would be a good first step?",
    "Interesting — anything I should watch out for?",
    "Okay. Can you give me a concrete example?",
    "Got it. How would that look over a typical week?",
    "Thanks! Could you summarise that in a few bullet points?",
]
ANSWER_FORMAT = ('Express your choice with the option number, in this JSON format:\n```json\n{"answer": int}\n```\n'
                 "Only output the JSON.")
_JSON_ANSWER = re.compile(r'"answer"\s*:\s*"?(\d+)')
_BARE_ANSWER = re.compile(r"^\s*(?:answer\s*[:=]?\s*)?\(?(\d+)\)?\s*(?:[.):]|$)", re.IGNORECASE)
EVAL_KINDS = ("question", "upper", "probe")


class Prompt(NamedTuple):
    """One scripted user turn. ``index`` is the session, question or required-variable index."""

    kind: str  # session | question | upper | probe
    period: int
    index: int
    round: int = 0


def build_script(record: UserRecord, *, rounds_init: int = 1, rounds_update: int = 2,
                 eval_mode: str = "period", upper_bound: str = "rule") -> list[Prompt]:
    """The user turns of one episode, in order (small tuples; the text is rendered on demand)."""
    script: list[Prompt] = []
    n_required = len(record.required_variables())
    last = len(record.periods) - 1
    for p, period in enumerate(record.periods):
        rounds = rounds_init if p == 0 else rounds_update
        for s in range(len(period.sessions)):
            script.extend(Prompt("session", p, s, r) for r in range(rounds))
        if eval_mode == "period" or p == last:
            for q in range(len(record.qas)):
                script.append(Prompt("question", p, q))
                if upper_bound == "probe":
                    script.append(Prompt("upper", p, q))
            script.extend(Prompt("probe", p, v) for v in range(n_required))
    return script


def parse_choice(text: str, n_choices: int) -> int | None:
    """0-based choice from a reply (JSON ``{"answer": k}`` or a bare number, 1-based), else ``None``."""
    m = _JSON_ANSWER.search(text) or _BARE_ANSWER.match(text.strip().splitlines()[0] if text.strip() else "")
    if not m:
        return None
    k = int(m.group(1))
    return k - 1 if 1 <= k <= n_choices else None


def probe_values(record: UserRecord, variable: str) -> list[str]:
    return list(record.state_schema[variable])


class MemoryUser(UserSimulator):
    """Scripted, deterministic AMemGym user (the default)."""

    def __init__(self, *, rounds_init: int = 1, rounds_update: int = 2, eval_mode: str = "period",
                 upper_bound: str = "rule",
                 follow_up: Callable[[MemoryUser, Prompt, list[Message]], str | None] | None = None):
        self.options = {"rounds_init": rounds_init, "rounds_update": rounds_update, "eval_mode": eval_mode,
                        "upper_bound": upper_bound}
        self.follow_up = follow_up

    def reset(self, task: Task, seed: int) -> None:
        super().reset(task, seed)
        self.record = UserRecord.model_validate(task.user)
        self.required = self.record.required_variables()
        self.script = build_script(self.record, **self.options)
        self.cursor = 0

    # ------------------------------------------------------------------ rendering
    def render(self, prompt: Prompt, messages: list[Message] | None = None) -> str:
        rec = self.record
        period = rec.periods[prompt.period]
        if prompt.kind == "session":
            session = period.sessions[prompt.index]
            if prompt.round == 0:
                return f"[Current Time: {session.session_time}]\n{session.query}"
            scripted = self._scripted_round(prompt)
            if scripted is not None:
                return scripted
            if self.follow_up is not None and messages is not None:
                text = self.follow_up(self, prompt, messages)
                if text:
                    return text
            return FOLLOW_UPS[derive_seed(self.seed, "follow-up", self.cursor) % len(FOLLOW_UPS)]
        now = f"[Current Time: {period.period_end}]\n"
        if prompt.kind == "probe":
            var = self.required[prompt.index]
            options = "\n".join(f"{i + 1}: {v}" for i, v in enumerate(probe_values(rec, var)))
            return (f"{now}Quick check on what you remember about me: what is my current {var}?\n\n"
                    f"{options}\n\n{ANSWER_FORMAT}")
        qa = rec.qas[prompt.index]
        choices = "\n".join(f"{i + 1}: {c.answer}" for i, c in enumerate(qa.answer_choices))
        given = ""
        if prompt.kind == "upper":
            facts = ", ".join(f"my {k} is {period.state[k]}" for k in qa.required_info)
            given = f"(For this question, take as given that {facts}.)\n"
        return (f"{now}{given}{qa.query}\n\nPlease select the most suitable answer for my current situation "
                f"from the following options (considering my current preferences and state):\n\n{choices}\n\n"
                f"{ANSWER_FORMAT}")

    def n_choices(self, prompt: Prompt) -> int:
        if prompt.kind == "probe":
            return len(self.record.state_schema[self.required[prompt.index]])
        return len(self.record.qas[prompt.index].answer_choices)

    def current(self) -> Prompt | None:
        return self.script[self.cursor] if self.cursor < len(self.script) else None

    # ------------------------------------------------------------------ turns
    def opening(self) -> Message | None:
        first = self.current()
        return Message.user(self.render(first, [])) if first is not None else None

    def respond(self, messages: list[Message]) -> UserTurn:
        info, nxt = self._advance(messages)
        if nxt is None:
            return UserTurn(None, done=True, info=info)
        return UserTurn(Message.user(self.render(nxt, messages)), info=info)

    async def arespond(self, messages: list[Message]) -> UserTurn:
        info, nxt = self._advance(messages)
        if nxt is None:
            return UserTurn(None, done=True, info=info)
        text = None
        if nxt.kind == "session" and nxt.round > 0 and self.follow_up is not None \
                and hasattr(self.follow_up, "acall") and self._scripted_round(nxt) is None:
            text = await self.follow_up.acall(self, nxt, messages)
        return UserTurn(Message.user(text or self.render(nxt, None)), info=info)

    def _advance(self, messages: list[Message]) -> tuple[dict[str, Any], Prompt | None]:
        """Record the answer to the prompt just answered and move to the next one."""
        info: dict[str, Any] = {}
        asked = self.current()
        if asked is not None and asked.kind in EVAL_KINDS:
            info["answered"] = self.record_answer(asked, messages[-1].content if messages else "")
        self.cursor += 1
        nxt = self.current()
        if nxt is None:
            info["reason"] = "script complete"
        else:
            info["prompt"] = {"kind": nxt.kind, "period": nxt.period, "index": nxt.index, "round": nxt.round}
        return info, nxt

    def _scripted_round(self, prompt: Prompt) -> str | None:
        """A later-round user turn the released data scripts for this session, if any."""
        session = self.record.periods[prompt.period].sessions[prompt.index]
        scripted = [m.get("content", "") for m in session.messages if m.get("role") == "user"]
        return scripted[prompt.round] if prompt.round < len(scripted) else None

    def record_answer(self, prompt: Prompt, text: str) -> dict[str, Any]:
        """The assistant's choice; an unparsable reply becomes a seeded random choice (as in AMemGym)."""
        n = self.n_choices(prompt)
        choice = parse_choice(text, n)
        parsed = choice is not None
        if choice is None:
            choice = random.Random(derive_seed(self.seed, "fallback", self.cursor)).randrange(n)
        out: dict[str, Any] = {"kind": prompt.kind, "period": prompt.period, "index": prompt.index,
                               "choice": choice, "parsed": parsed}
        if prompt.kind == "probe":
            out["variable"] = self.required[prompt.index]
        return out

    def state(self) -> dict[str, Any]:
        return {**super().state(), "cursor": self.cursor}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.cursor = state["cursor"]


class LLMFollowUp:
    """Follow-up rounds written by an LLM user simulator that knows the profile and only the session's
    exposed states. A reply that states a value of an unexposed variable is discarded (scripted fallback)."""

    def __init__(self, model: str, *, base_url: str | None = None, **litellm_kwargs: Any):
        self.model, self.base_url, self.litellm_kwargs = model, base_url, litellm_kwargs

    def _simulator(self, user: MemoryUser, prompt: Prompt) -> Any:
        from agentgym.policies.llm_user import LLMUserSimulator  # optional dependency, imported lazily

        session = user.record.periods[prompt.period].sessions[prompt.index]
        system = (f"You are role-playing a user talking to an AI assistant.\nProfile: {user.record.user_profile}\n"
                  f"Current time: {session.session_time}. Facts you may mention: "
                  f"{json.dumps(session.exposed_states)}.\nContinue the conversation naturally in one or two "
                  "sentences. Never state any other personal detail (no preferences, habits or circumstances "
                  "beyond the facts above).")
        sim = LLMUserSimulator(self.model, system, base_url=self.base_url, **self.litellm_kwargs)
        sim.reset(user.task, derive_seed(user.seed, "llm", user.cursor))
        return sim

    @staticmethod
    def _accept(user: MemoryUser, prompt: Prompt, turn: UserTurn) -> str | None:
        text = turn.message.content if turn.message is not None else ""
        period = user.record.periods[prompt.period]
        exposed = period.sessions[prompt.index].exposed_states
        hidden = [v for k, v in period.state.items() if k not in exposed]
        if not text.strip() or any(re.search(rf"\b{re.escape(v)}\b", text, re.IGNORECASE) for v in hidden):
            return None
        return text

    def __call__(self, user: MemoryUser, prompt: Prompt, messages: list[Message]) -> str | None:
        return self._accept(user, prompt, self._simulator(user, prompt).respond(_session_tail(messages)))

    async def acall(self, user: MemoryUser, prompt: Prompt, messages: list[Message]) -> str | None:
        turn = await self._simulator(user, prompt).arespond(_session_tail(messages))
        return self._accept(user, prompt, turn)


def _session_tail(messages: list[Message]) -> list[Message]:
    """The current session's messages (from its ``[Current Time: ...]`` query on), without tool traffic."""
    start = 0
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].role == "user" and messages[i].content.startswith("[Current Time:"):
            start = i
            break
    return [m for m in messages[start:] if m.role in ("user", "assistant") and m.content]
