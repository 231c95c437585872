"""collect() and branching against the real policy server (agentgym serve, SmolLM2 on the CPU)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from agentgym.policies.openai_compat import OpenAICompatiblePolicy
from agentgym.registry import make
from agentgym.rl import ChatGenerator, branch, collect, rollout

pytestmark = [pytest.mark.model, pytest.mark.slow]  # one shared SmolLM2 server, a few short generations

TASK = "calc-train-0000"


def test_collect_against_the_server(policy_server, tokenizer):
    batch = collect(policy_server.base_url, "calculator", [TASK, "calc-train-0001"], group_size=2,
                    max_tokens=24, max_turns=2, temperature=1.0, advantage="grpo", on_drift="raise")
    assert len(batch) == 4 and batch.group_ids == [TASK, TASK, "calc-train-0001", "calc-train-0001"]
    assert sorted(e.sample for e in batch.episodes) == [0, 0, 1, 1]
    for ep, adv in zip(batch.episodes, batch.advantages, strict=True):
        assert ep.drift is None and 1 <= ep.n_turns <= 2
        mask, lps = np.array(ep.loss_mask), np.array(ep.logprobs)
        steps = ep.trajectory.steps
        for (start, end), step in zip(ep.turn_spans, steps, strict=True):
            # the transcript holds exactly what the server generated, with its sampling logprobs
            assert ep.token_ids[start:end + 1] == step.tokens.completion_ids
            assert lps[start:end + 1].tolist() == pytest.approx(step.tokens.logprobs)
            assert step.tokens.prompt_ids == ep.token_ids[:start]  # = the server's prompt_token_ids (checked)
        assert mask.sum() == sum(len(s.tokens.completion_ids) for s in steps)
        assert (lps[mask == 1] <= 0).all() and (lps[mask == 1] < 0).any() and (lps[mask == 0] == 0).all()
        assert (adv[mask == 0] == 0).all()
    # GRPO: within a group the advantages are the normalised episode rewards, the same on every token
    rewards = batch.episode_rewards
    for g in (slice(0, 2), slice(2, 4)):
        r = rewards[g]
        expected = np.zeros(2) if r[0] == r[1] else (r - r.mean()) / (r.std() + 1e-6)
        got = [a[np.array(e.loss_mask) == 1] for a, e in zip(batch.advantages[g], batch.episodes[g], strict=True)]
        for values, exp in zip(got, expected, strict=True):
            assert values == pytest.approx(np.full(len(values), exp))
    arrays = batch.padded(pad_id=tokenizer.pad_token_id)
    assert arrays["input_ids"].shape == arrays["loss_mask"].shape == arrays["advantages"].shape
    assert arrays["attention_mask"].sum() == sum(len(e.token_ids) for e in batch.episodes)


def test_branch_from_a_stored_turn_keeps_the_prefix(policy_server, tokenizer):
    """Re-roll a stored episode from turn 1: same tokens, mask and logprobs up to that turn's prompt, then the
    env (restored from its snapshot) and the policy carry on; greedy decoding reproduces the original."""

    async def play():
        policy = OpenAICompatiblePolicy(policy_server.base_url, temperature=0.0, max_tokens=24)
        gen = ChatGenerator(policy)
        env = make("calculator", split="train", max_turns=3)
        try:
            original = await rollout(env, gen, tokenizer, TASK, seed=5, keep_checkpoints=True)
            if original.n_turns < 2:
                pytest.skip("the model ended the episode in one turn; nothing to branch from")
            again = await branch(env, gen, original, 1, tokenizer, seed=5)
            other = await branch(make("calculator", split="train", max_turns=3), gen, original, 1, tokenizer,
                                 seed=6)
            return original, again, other
        finally:
            env.close()
            await policy.aclose()

    original, again, other = asyncio.run(play())
    cut = original.checkpoints[1].n_tokens
    assert cut == original.turn_spans[1][0]  # the prompt of turn 1
    for ep in (again, other):
        assert ep.token_ids[:cut] == original.token_ids[:cut]
        assert ep.loss_mask[:cut] == original.loss_mask[:cut] and ep.logprobs[:cut] == original.logprobs[:cut]
        assert ep.turn_spans[0] == original.turn_spans[0] and ep.drift is None
        assert ep.trajectory.steps[0].model_dump() == original.trajectory.steps[0].model_dump()
    assert again.token_ids == original.token_ids  # greedy: the same continuation
    assert again.trajectory.messages == original.trajectory.messages
