"""One episode as one growing token sequence: what the model saw and what it generated, nothing re-tokenised.

A multi-turn episode is trained as a single sequence ``[prompt₀, completion₀, env₀, completion₁, env₁, ...]``
with a loss mask of 1 on completion tokens only. That is only correct if, at every turn, the prompt the model
was given *is* the sequence so far plus the new messages — the "context only grows" property. It breaks when
a chat template re-renders earlier turns differently (templates that strip earlier reasoning, trim content or
rewrite tool calls) or when decoded text re-tokenises into different ids.

``TokenTranscript`` therefore never re-tokenises earlier turns: it keeps the ids the model saw and generated,
and gets the ids of *new* messages by diffing templated prefixes: it renders the conversation with the new
messages and checks that this rendering starts with the stored sequence before taking the remaining ids.
A mismatch raises ``TemplateDriftError`` with the position and the tokens on both sides (or, with
``on_drift="warn"``, warns and marks the transcript as drifted so the caller can stop the episode there).

Assistant turns go back to the template as the raw text the model produced (tool-call blocks included), so
the template re-renders exactly those tokens rather than a normalised ``tool_calls`` structure.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

from agentgym.errors import AgentGymError
from agentgym.toolcall_parser import inline_tools

OnDrift = Literal["raise", "warn"]


class TemplateDriftError(AgentGymError, ValueError):
    """The rendered conversation no longer starts with the tokens the model saw (context did not only grow).

    ``where`` is ``"history"`` (an earlier turn rendered differently, e.g. a template that strips old
    reasoning), ``"assistant"`` (the last assistant turn re-renders differently: stripped by the template
    or re-tokenised) or ``"server"`` (the
    server's ``prompt_token_ids`` differ from the transcript)."""

    def __init__(self, where: str, turn: int, position: int, expected: list[int], got: list[int],
                 expected_text: str, got_text: str):
        self.where, self.turn, self.position = where, turn, position
        self.expected, self.got = expected, got
        super().__init__(
            f"chat template breaks 'context only grows' at turn {turn} ({where}), token {position}: "
            f"expected {expected} {expected_text!r}, got {got} {got_text!r}. Training on this episode would "
            "use tokens the model never saw; use a template that renders earlier turns verbatim "
            "(no stripping of reasoning or whitespace) or a token-in/token-out generation backend.")


def render_ids(tokenizer: Any, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, *,
               add_generation_prompt: bool) -> list[int]:
    """Token ids of a conversation, rendered the way ``agentgym serve`` and vLLM render it: the template's own
    tool support when it has one, else the tools and tool results inlined as Hermes-style text."""
    if "tools" in (tokenizer.chat_template or ""):
        msgs, kwargs = [dict(m) for m in messages], ({"tools": tools} if tools else {})
    else:
        msgs, kwargs = inline_tools(messages, tools), {}
    ids = tokenizer.apply_chat_template(msgs, add_generation_prompt=add_generation_prompt, tokenize=True,
                                        **kwargs)
    if isinstance(ids, dict) or hasattr(ids, "input_ids"):
        ids = ids["input_ids"]
    return list(ids)


def _first_difference(a: list[int], b: list[int]) -> int:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


@dataclass
class TokenTranscript:
    """The token sequence of one episode, built turn by turn.

    ``token_ids``/``loss_mask``/``logprobs`` are aligned (logprob 0.0 where the mask is 0); ``turn_spans[t]``
    is ``(first, last)`` index of turn t's generated tokens, so ``turn_ends[t] == turn_spans[t][1]`` is where
    turn t's reward lands. ``messages`` is the conversation as the template saw it (assistant turns as raw
    text)."""

    tokenizer: Any
    tools: list[dict[str, Any]] | None = None
    on_drift: OnDrift = "raise"
    token_ids: list[int] = field(default_factory=list)
    loss_mask: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    turn_spans: list[tuple[int, int]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    drift: TemplateDriftError | None = None

    @property
    def turn_ends(self) -> list[int]:
        return [end for _, end in self.turn_spans]

    @property
    def prompt_length(self) -> int:
        """Length of the opening prompt (everything before the first generated token)."""
        return self.turn_spans[0][0] if self.turn_spans else len(self.token_ids)

    # ---- building --------------------------------------------------------------------------------
    def start(self, messages: list[dict[str, Any]]) -> list[int]:
        """Render the opening prompt; returns the ids the first completion must be conditioned on."""
        self.messages = [dict(m) for m in messages]
        self._extend(render_ids(self.tokenizer, self.messages, self.tools, add_generation_prompt=True), 0)
        return list(self.token_ids)

    def add_completion(self, ids: list[int], logprobs: list[float] | None = None) -> str:
        """Append what the model generated (mask 1); returns its raw text, which is what goes back into the
        conversation (tool-call blocks and all) so the template re-renders these very tokens."""
        if not ids:
            raise ValueError("a completion needs at least one token")
        lps = list(logprobs) if logprobs else [0.0] * len(ids)
        if len(lps) != len(ids):
            raise ValueError(f"{len(ids)} completion tokens but {len(lps)} logprobs")
        start = len(self.token_ids)
        self.token_ids.extend(ids)
        self.loss_mask.extend([1] * len(ids))
        self.logprobs.extend(float(x) for x in lps)
        self.turn_spans.append((start, len(self.token_ids) - 1))
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        self.messages.append({"role": "assistant", "content": text})
        return text

    def add_messages(self, new: list[dict[str, Any]]) -> list[int]:
        """Append env/user/tool messages (mask 0) and the next generation prompt; returns the full prompt the
        next completion must be conditioned on, or the stored sequence unchanged if the template drifted and
        ``on_drift="warn"`` (check ``drift``)."""
        rendered = render_ids(self.tokenizer, self.messages + [dict(m) for m in new], self.tools,
                              add_generation_prompt=True)
        if rendered[:len(self.token_ids)] != self.token_ids:
            pos = _first_difference(rendered, self.token_ids)
            last_start = self.turn_spans[-1][0] if self.turn_spans else len(self.token_ids)
            self._report("history" if pos < last_start else "assistant", pos, rendered)
            return list(self.token_ids)
        self.messages.extend(dict(m) for m in new)
        self._extend(rendered[len(self.token_ids):], 0)
        return list(self.token_ids)

    def check_prompt(self, server_prompt_ids: list[int]) -> bool:
        """Check a server's ``prompt_token_ids`` are exactly the transcript (what the model was conditioned on
        is what we will train on). Raises or warns (returning False) on a mismatch."""
        if list(server_prompt_ids) == self.token_ids:
            return True
        pos = _first_difference(list(server_prompt_ids), self.token_ids)
        self._report("server", pos, list(server_prompt_ids))
        return False

    def truncate(self, length: int, n_messages: int, n_turns: int) -> None:
        """Cut back to an earlier state (for branching from a stored turn)."""
        del self.token_ids[length:], self.loss_mask[length:], self.logprobs[length:]
        del self.messages[n_messages:], self.turn_spans[n_turns:]
        self.drift = None

    # ---- internals -------------------------------------------------------------------------------
    def _extend(self, ids: list[int], mask: int) -> None:
        self.token_ids.extend(ids)
        self.loss_mask.extend([mask] * len(ids))
        self.logprobs.extend([0.0] * len(ids))

    def _report(self, where: str, pos: int, got_ids: list[int]) -> None:
        expected, got = self.token_ids[pos:pos + 8], got_ids[pos:pos + 8]
        err = TemplateDriftError(where, len(self.turn_spans), pos, expected, got,
                                 self.tokenizer.decode(expected), self.tokenizer.decode(got))
        if self.on_drift == "raise":
            raise err
        self.drift = err
        warnings.warn(str(err), RuntimeWarning, stacklevel=3)
