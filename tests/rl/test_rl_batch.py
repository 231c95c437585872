"""RolloutBatch: estimator choice by name, per-turn advantages spread over each turn's generated tokens."""

from __future__ import annotations

import numpy as np
import pytest

from agentgym.errors import ConfigError
from agentgym.rl import RolloutBatch, TokenEpisode, spread, token_rewards, turn_advantages
from agentgym.rl import advantages as adv


def _episode(group: str, spans: list[tuple[int, int]], turn_rewards: list[float], reward: float,
             length: int = 12) -> TokenEpisode:
    mask = [0] * length
    for a, b in spans:
        mask[a:b + 1] = [1] * (b - a + 1)
    return TokenEpisode(task_id=group, group_id=group, sample=0, seed=0, token_ids=list(range(length)),
                        loss_mask=mask, logprobs=[-0.5 * m for m in mask], turn_spans=spans,
                        prompt_length=spans[0][0], turn_rewards=turn_rewards,
                        turn_reward_components=[{"r": r} for r in turn_rewards], episode_reward=reward,
                        trajectory=None, messages=[], history=[])  # type: ignore[arg-type]


EPISODES = [_episode("a", [(2, 4), (7, 9)], [0.5, 0.0], 1.0), _episode("a", [(2, 3), (6, 10)], [0.0, 0.2], 0.0),
            _episode("b", [(1, 5)], [0.3], 1.0)]


def test_grpo_is_episode_level_on_every_generated_token():
    batch = RolloutBatch(EPISODES, "grpo", turn_advantages(EPISODES, "grpo"))
    expected = adv.grpo([1.0, 0.0, 1.0], ["a", "a", "b"])
    for e, a, x in zip(EPISODES, batch.advantages, expected, strict=True):
        m = np.array(e.loss_mask)
        assert (a[m == 1] == x).all() and (a[m == 0] == 0).all()
    assert batch.advantages[2].tolist() == [0.0] * 12  # a group of one: no signal, not NaN


@pytest.mark.parametrize("name", ["hian", "matchtir"])
def test_turn_level_estimators_land_on_their_turns(name):
    per_turn = turn_advantages(EPISODES, name)
    if name == "hian":
        expected = adv.hian([e.turn_rewards for e in EPISODES], [1.0, 0.0, 1.0], ["a", "a", "b"])
    else:  # the episode reward joins the last turn's reward
        expected = adv.matchtir_dual([[0.5, 1.0], [0.0, 0.2], [1.3]], ["a", "a", "b"])
    for got, exp in zip(per_turn, expected, strict=True):
        assert got == pytest.approx(exp)
    tokens = spread(EPISODES[0], per_turn[0])
    assert tokens[2:5].tolist() == pytest.approx([per_turn[0][0]] * 3)
    assert tokens[7:10].tolist() == pytest.approx([per_turn[0][1]] * 3)
    assert tokens[[0, 1, 5, 6, 10, 11]].tolist() == [0.0] * 6


def test_token_rewards_and_padding():
    r = token_rewards(EPISODES[0])
    assert r[4] == 0.5 and r[9] == 0.0 + 1.0 and np.count_nonzero(r) == 2
    batch = RolloutBatch(EPISODES[:2], "rloo", turn_advantages(EPISODES[:2], "rloo"))
    arrays = batch.padded(pad_id=99)
    assert arrays["input_ids"].shape == (2, 12) and arrays["loss_mask"].sum() == 6 + 7
    assert arrays["advantages"][0, 2] == 1.0 and arrays["advantages"][1, 6] == -1.0


def test_unknown_estimator_is_a_config_error():
    with pytest.raises(ConfigError, match="evpo_gate"):
        turn_advantages(EPISODES, "evpo")
