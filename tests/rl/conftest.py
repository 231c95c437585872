"""RL test fixtures: the real SmolLM2 model (loaded once per session) and one shared policy server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agentgym.env import AgentEnv
from agentgym.rl.rollout import Completion
from agentgym.toolcall_parser import render_tool_calls
from agentgym.types import Message


@pytest.fixture(scope="session")
def smollm2() -> Any:
    from agentgym.serve.model import load_model

    return load_model(None)


@pytest.fixture(scope="session")
def tokenizer(smollm2: Any) -> Any:
    return smollm2.tokenizer


@pytest.fixture(scope="session")
def policy_server(smollm2: Any) -> Iterator[Any]:
    from agentgym.serve import start_server

    with start_server() as server:
        yield server


def oracle_text(message: Message) -> str:
    """What a model would have written for an oracle message (Hermes tool-call blocks)."""
    return render_tool_calls(message.tool_calls) if message.tool_calls else message.content


class OracleGenerator:
    """A token-in/token-out engine that plays the env's oracle: its text, encoded, ending in EOS, with made-up
    but distinct logprobs, so tests know exactly which ids and logprobs each turn produced."""

    def __init__(self, env: AgentEnv, tokenizer: Any):
        self.env, self.tok = env, tokenizer
        self.oracle: Any = None
        self.turns: list[tuple[list[int], list[float]]] = []

    async def generate(self, history, tools, prompt_ids, *, seed, turn):  # noqa: ANN001 (Generator protocol)
        if self.oracle is None:
            self.oracle = self.env.unwrapped.make_oracle(self.env.unwrapped.task)
        text = oracle_text(self.oracle.act(list(self.env.unwrapped.messages)))
        ids = list(self.tok.encode(text, add_special_tokens=False)) + [self.tok.eos_token_id]
        lps = [-0.01 * (len(self.turns) + 1) - 0.001 * j for j in range(len(ids))]
        self.turns.append((ids, lps))
        return Completion(ids, lps)


@pytest.fixture
def oracle_generator() -> type[OracleGenerator]:
    return OracleGenerator
