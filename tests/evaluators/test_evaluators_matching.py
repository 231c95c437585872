"""MatchTIR similarity and the three assignment methods, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agentgym.evaluators.matching import (
    call_similarity, greedy, hungarian, match, similarity_matrix, sinkhorn, token_f1,
)


def test_similarity_exact_call_is_one_and_other_name_is_zero():
    assert call_similarity("add", {"a": 1, "b": 2}, "add", {"a": 1, "b": 2}) == 1.0
    assert call_similarity("sub", {"a": 1, "b": 2}, "add", {"a": 1, "b": 2}) == 0.0


@pytest.mark.parametrize(("pred", "gold", "expected"), [
    ({"q": "a", "n": 2}, {"q": "a"}, (1 + 1 / 2 + 1) / 3),  # extra key: Jaccard 1/2, q agrees
    ({"q": "a", "n": 2}, {"q": "b", "n": 2}, (1 + 1 + 1) / 4),  # same keys, only n agrees
    ({"q": "a", "n": 5, "extra": 1}, {"q": "b", "n": 2}, (1 + 2 / 3 + 0) / 4),
    ({}, {"q": "a"}, (1 + 0 + 0) / 3),  # no keys at all
    ({}, {}, 1.0),  # a call without arguments, made exactly
    ({"x": 1}, {}, (1 + 0) / 2),  # Jaccard of {} and {x} is 0
    ({"a": 3.0}, {"a": 3}, 1.0),  # 3.0 is the value 3
    ({"a": True}, {"a": 1}, (1 + 1 + 0) / 3),  # but True is not the argument 1
])
def test_similarity_hand_computed(pred, gold, expected):
    assert call_similarity("f", pred, "f", gold) == pytest.approx(expected)


# Predicted A, B and gold X, Y (all "search"): greedy grabs the single best pair A–X (5/6) and is left
# with B–Y (5/12), total 15/12; the optimum pairs A–Y (3/4) and B–X (7/9), total 55/36.
PRED = [("search", {"q": "a", "n": 2}), ("search", {"q": "a", "n": 5, "extra": 1})]
GOLD = [("search", {"q": "a"}), ("search", {"q": "b", "n": 2})]


def test_matrix_hand_computed():
    S = similarity_matrix(PRED, GOLD)
    np.testing.assert_allclose(S, [[5 / 6, 3 / 4], [7 / 9, 5 / 12]])


def test_greedy_is_suboptimal_where_hungarian_is_optimal():
    S = similarity_matrix(PRED, GOLD)
    assert greedy(S) == [(0, 0), (1, 1)]
    assert hungarian(S) == [(0, 1), (1, 0)]
    g, h = match(S, "greedy"), match(S, "hungarian")
    assert g.matched == pytest.approx(5 / 6 + 5 / 12)
    assert h.matched == pytest.approx(3 / 4 + 7 / 9)
    assert h.matched > g.matched
    assert (h.precision, h.recall, h.f1) == pytest.approx((55 / 72, 55 / 72, 55 / 72))
    assert g.f1 == pytest.approx(15 / 24)


def test_precision_recall_f1_with_unequal_counts():
    pred = [("add", {"a": 1, "b": 2}), ("add", {"a": 1, "b": 3}), ("mul", {"a": 1, "b": 2})]
    gold = [("add", {"a": 1, "b": 2}), ("lookup", {"name": "rate"})]
    m = match(similarity_matrix(pred, gold))
    assert m.rewards == [1.0, 0.0, 0.0]
    assert (m.precision, m.recall) == pytest.approx((1 / 3, 1 / 2))
    assert m.f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert m.pairs == [(0, 0)]


def test_empty_sides():
    assert match(np.zeros((0, 0))).f1 == 1.0  # nothing to do, nothing done
    m = match(np.zeros((0, 2)))  # needed calls, made none
    assert (m.precision, m.recall, m.f1) == (1.0, 0.0, 0.0)
    m = match(np.zeros((2, 0)))  # made calls, needed none
    assert (m.precision, m.recall, m.f1) == (0.0, 1.0, 0.0)


def test_sinkhorn_identity_has_closed_form():
    # K = exp(-(1 - S)/0.1) = [[1, e^-10], [e^-10, 1]] is symmetric with equal row sums, so the plan is
    # K / (1 + e^-10) and each call earns 1 / (1 + e^-10).
    S = np.eye(2)
    T = sinkhorn(S, reg=0.1)
    np.testing.assert_allclose(T, np.array([[1, math.exp(-10)], [math.exp(-10), 1]]) / (1 + math.exp(-10)),
                               rtol=1e-8)
    m = match(S, "sinkhorn")
    assert m.rewards == pytest.approx([1 / (1 + math.exp(-10))] * 2, rel=1e-8)


def test_sinkhorn_plan_is_doubly_stochastic_and_near_the_optimum():
    S = similarity_matrix(PRED, GOLD)
    T = sinkhorn(S, reg=0.1)
    np.testing.assert_allclose(T.sum(axis=0), 1.0, atol=1e-8)
    np.testing.assert_allclose(T.sum(axis=1), 1.0, atol=1e-8)
    soft = match(S, "sinkhorn")
    # the entropic plan leans towards the optimal pairing, so it beats greedy's total
    assert T[0, 1] > T[0, 0] and T[1, 0] > T[1, 1]
    assert match(S, "greedy").matched < soft.matched < match(S, "hungarian").matched


def test_sinkhorn_pads_unequal_sides_with_dummies():
    # Two predictions, one gold call, the first exact. Padded S = [[1, 0], [0, 0]], so
    # K = [[1, a], [a, a]] with a = e^-10. A doubly stochastic 2x2 plan is [[x, 1-x], [1-x, x]], and scaling
    # keeps the cross ratio: x^2 / (1-x)^2 = K00 K11 / (K01 K10) = e^10, so x = 1 / (1 + e^-5).
    S = np.array([[1.0], [0.0]])
    m = match(S, "sinkhorn")
    x = 1 / (1 + math.exp(-5))
    assert m.rewards == pytest.approx([x, 0.0], abs=1e-9)
    assert (m.precision, m.recall) == pytest.approx((x / 2, x), abs=1e-9)


def test_token_f1():
    assert token_f1("the answer is 42", "42") == pytest.approx(2 * (1 / 4) * 1 / (1 / 4 + 1))
    assert token_f1("Paris", "paris") == 1.0
    assert token_f1("", "x") == 0.0
