"""Loss mask, logprob alignment and turn indices on the real SmolLM2 tokenizer, and template-drift detection."""

from __future__ import annotations

import asyncio
import copy

import numpy as np
import pytest

from agentgym.policies.chat import openai_tools
from agentgym.registry import make
from agentgym.rl import TemplateDriftError, TokenTranscript, render_ids, rollout, token_rewards

pytestmark = pytest.mark.model

TASK = "calc-test-0003"  # lookup, multiply, add, add, answer: five turns, four with tool calls


@pytest.fixture
def episode(tokenizer, oracle_generator):
    env = make("calculator", split="test")
    gen = oracle_generator(env, tokenizer)
    try:
        ep = asyncio.run(rollout(env, gen, tokenizer, TASK, seed=3, reward="rubric"))
    finally:
        env.close()
    return ep, gen


def test_five_turn_episode_mask_logprobs_and_turn_ends(episode, tokenizer):
    ep, gen = episode
    assert ep.n_turns == 5 and ep.metrics["success"] is True
    assert [len(s.action.tool_calls) for s in ep.trajectory.steps] == [1, 1, 1, 1, 0]
    seq, mask, lps = ep.token_ids, np.array(ep.loss_mask), np.array(ep.logprobs)
    assert len(seq) == len(mask) == len(lps)
    expected_mask = np.zeros(len(seq), dtype=int)
    for (start, end), (ids, turn_lps) in zip(ep.turn_spans, gen.turns, strict=True):
        assert seq[start:end + 1] == ids  # exactly the generated ids, in place
        assert lps[start:end + 1].tolist() == pytest.approx(turn_lps)  # logprobs aligned to them
        expected_mask[start:end + 1] = 1
    assert mask.tolist() == expected_mask.tolist()
    assert lps[mask == 0].tolist() == [0.0] * int((mask == 0).sum())
    # turn t's last token is the EOS that closed it; the prompt precedes the first generated token
    assert [seq[i] for i in ep.turn_ends] == [tokenizer.eos_token_id] * 5
    assert ep.prompt_length == ep.turn_spans[0][0] and mask[:ep.prompt_length].sum() == 0
    # tool results and the tool list are context (mask 0): the looked-up rate (9) arrives in a tool response
    context = tokenizer.decode([t for t, m in zip(seq, mask) if m == 0])
    assert context.count("<tool_response>") == 4 and "<tools>" in context
    generated = tokenizer.decode([t for t, m in zip(seq, mask) if m == 1])
    assert "<tool_response>" not in generated and "ANSWER: 65" in generated


def test_sequence_is_one_rendering_of_the_whole_conversation(episode, tokenizer):
    """Built turn by turn from deltas, the sequence equals the template applied once to the final
    conversation: no earlier turn was re-tokenised differently."""
    ep, _ = episode
    tools = openai_tools(ep.trajectory.tools)
    whole = render_ids(tokenizer, ep.messages, tools, add_generation_prompt=False)
    assert whole[:len(ep.token_ids)] == ep.token_ids
    assert tokenizer.decode(whole[len(ep.token_ids):]) == "\n"  # only the template's newline after the last EOS


def test_turn_rewards_land_on_turn_ends(episode):
    ep, _ = episode
    assert len(ep.turn_rewards) == 5 and any(r > 0 for r in ep.turn_rewards[:4])
    rewards = token_rewards(ep)
    for t, end in enumerate(ep.turn_ends):
        extra = ep.episode_reward if t == 4 else 0.0
        assert rewards[end] == pytest.approx(ep.turn_rewards[t] + extra)
    assert np.count_nonzero(rewards) == sum(1 for t, r in enumerate(ep.turn_rewards) if r or t == 4)
    assert ep.episode_reward == pytest.approx(ep.trajectory.scores["total"]) and ep.episode_reward > 0.9


def _think_stripping(tokenizer):
    """A template that drops earlier turns' reasoning, like Qwen3's: it breaks 'context only grows'."""
    tok = copy.deepcopy(tokenizer)
    tok.chat_template = (
        "{% for m in messages %}{% set c = m['content'] %}"
        "{% if m['role'] == 'assistant' and not loop.last %}{% set c = c.split('</think>')[-1] %}{% endif %}"
        "{{ '<|im_start|>' + m['role'] + '\n' + c + '<|im_end|>\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
    return tok


def _think_turn(tok):
    tr = TokenTranscript(tok)
    tr.start([{"role": "user", "content": "What is 2+3?"}])
    tr.add_completion(tok.encode("<think>2 plus 3</think>ANSWER: 5", add_special_tokens=False)
                      + [tok.eos_token_id])
    return tr


def test_template_that_strips_reasoning_is_reported(tokenizer):
    tok = _think_stripping(tokenizer)
    tr = _think_turn(tok)
    with pytest.raises(TemplateDriftError) as err:
        tr.add_messages([{"role": "user", "content": "Are you sure?"}])
    assert err.value.where == "assistant" and err.value.turn == 1
    assert err.value.position == tr.turn_spans[0][0]  # the very first generated token is gone
    assert "think" in str(err.value)

    warned = _think_turn(tok)
    warned.on_drift = "warn"
    before = list(warned.token_ids)
    with pytest.warns(RuntimeWarning, match="context only grows"):
        assert warned.add_messages([{"role": "user", "content": "Are you sure?"}]) == before
    assert warned.drift is not None and warned.token_ids == before  # nothing appended past the drift

    ok = _think_turn(tokenizer)  # the real SmolLM2 template keeps the reasoning: no drift
    ok.add_messages([{"role": "user", "content": "Are you sure?"}])
    assert ok.drift is None


def test_non_canonical_tokens_are_reported(tokenizer):
    """Ids that decode to text which re-tokenises differently would silently change the context."""
    tr = TokenTranscript(tokenizer)
    tr.start([{"role": "user", "content": "Say hello"}])
    spelled = [i for ch in "hello" for i in tokenizer.encode(ch, add_special_tokens=False)]
    assert spelled != tokenizer.encode("hello", add_special_tokens=False)
    tr.add_completion(spelled + [tokenizer.eos_token_id])
    with pytest.raises(TemplateDriftError) as err:
        tr.add_messages([{"role": "user", "content": "again"}])
    assert err.value.where == "assistant"


def test_server_prompt_must_match_the_transcript(tokenizer):
    tr = TokenTranscript(tokenizer)
    ids = tr.start([{"role": "user", "content": "hi"}])
    assert tr.check_prompt(ids)
    changed = list(ids)
    changed[3] += 1
    with pytest.raises(TemplateDriftError) as err:
        tr.check_prompt(changed)
    assert err.value.where == "server" and err.value.position == 3
