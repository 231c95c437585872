"""Advantage estimators against values computed by hand, including degenerate groups."""

from __future__ import annotations

import numpy as np
import pytest

from agentgym.rl.advantages import discounted_returns, evpo_gate, grpo, hian, matchtir_dual, rloo


def test_grpo_by_hand():
    # group a: rewards 1, 0 -> mean .5, std .5 -> +1, -1 ; group b: 2, 2, 5 -> mean 3, std sqrt(2)
    adv = grpo([1, 0, 2, 2, 5], ["a", "a", "b", "b", "b"], eps=0)
    np.testing.assert_allclose(adv, [1, -1, -1 / np.sqrt(2), -1 / np.sqrt(2), 2 / np.sqrt(2)])


def test_degenerate_groups_give_zero_not_nan():
    assert grpo([3.0], ["solo"]).tolist() == [0.0]
    assert grpo([1, 1, 1], [0, 0, 0]).tolist() == [0.0, 0.0, 0.0]
    assert rloo([4.0], ["solo"]).tolist() == [0.0]
    assert rloo([2, 2], [0, 0]).tolist() == [0.0, 0.0]
    out = hian([[1, 1], [1]], [0, 0], [0, 0])
    assert all(np.all(a == 0) for a in out)
    out = matchtir_dual([[1.0, 2.0]], ["solo"])
    assert out[0].tolist() == [0.0, 0.0]


def test_rloo_by_hand():
    # 3, 1, 2 -> 3 - 1.5, 1 - 2.5, 2 - 2
    np.testing.assert_allclose(rloo([3, 1, 2], [0, 0, 0]), [1.5, -1.5, 0.0])


def test_hian_by_hand():
    turns = [[1.0, 0.0], [0.0]]
    sess = [1.0, 0.0]
    # pooled turn rewards 1,0,0: mean 1/3, std sqrt(2)/3 ; session: +1, -1
    out = hian(turns, sess, [0, 0], w_turn=0.5, w_sess=0.5, eps=0)
    std = np.sqrt(2) / 3
    np.testing.assert_allclose(out[0], [0.5 * (2 / 3) / std + 0.5, 0.5 * (-1 / 3) / std + 0.5])
    np.testing.assert_allclose(out[1], [0.5 * (-1 / 3) / std - 0.5])


def test_hian_keeps_turn_signal_when_the_session_reward_is_huge():
    turns = [[0.9, 0.1], [0.1, 0.9]]  # same totals, opposite turn quality
    for scale in (1.0, 1000.0):
        out = hian(turns, [scale, 0.0], [0, 0])
        # within an episode, the good turn always beats the bad one by the same margin
        assert out[0][0] - out[0][1] == pytest.approx(out[1][1] - out[1][0])
        assert out[0][0] - out[0][1] == pytest.approx(1.0, rel=1e-3)
    # a naive single-horizon GRPO on summed rewards loses the turn signal entirely at scale 1000
    naive = grpo([1000 + 0.9, 1000 + 0.1, 0 + 0.1, 0 + 0.9], [0, 0, 0, 0])
    assert abs(naive[0] - naive[1]) < 0.01 * abs(naive[0] - naive[2])


def test_matchtir_dual_by_hand():
    turns = [[1.0, 0.0], [0.0, 1.0]]
    # totals equal -> A_traj = 0 ; returns (gamma .5): ep0 [1, 0], ep1 [.5, 1]
    # turn 0: [1, .5] -> +1, -1 ; turn 1: [0, 1] -> -1, +1 ; A = (0 + a)/2
    out = matchtir_dual(turns, [0, 0], gamma=0.5, eps=0)
    np.testing.assert_allclose(out[0], [0.5, -0.5])
    np.testing.assert_allclose(out[1], [-0.5, 0.5])
    np.testing.assert_allclose(discounted_returns([1, 2, 3], 0.9), [1 + 0.9 * 2 + 0.81 * 3, 2 + 0.9 * 3, 3])


def test_matchtir_dual_with_different_lengths():
    out = matchtir_dual([[1.0, 1.0, 1.0], [0.0]], [0, 0], gamma=1.0, eps=0)
    # totals 3, 0 -> +1, -1 ; turn 0 returns 3, 0 -> +1, -1 ; turns 1, 2 have one member -> 0
    np.testing.assert_allclose(out[0], [1.0, 0.5, 0.5])
    np.testing.assert_allclose(out[1], [-1.0])


def test_evpo_gate_uses_the_critic_only_when_it_explains_variance():
    g = [1.0, 2.0, 3.0, 4.0]
    adv, ev, used = evpo_gate(g, [1.1, 1.9, 3.2, 3.9])
    assert used and ev > 0.9
    np.testing.assert_allclose(adv, [-0.1, 0.1, -0.2, 0.1], atol=1e-12)
    adv, ev, used = evpo_gate(g, [4.0, 3.0, 2.0, 1.0])  # anti-correlated critic: EV = 1 - 5/1.25 < 0
    assert not used and ev == pytest.approx(-3.0)
    np.testing.assert_allclose(adv, [-1.5, -0.5, 0.5, 1.5])
