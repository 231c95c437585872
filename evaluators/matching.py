"""Matching predicted tool calls to gold calls (MatchTIR).

Similarity of a predicted call p to a gold call g is 0 when the names differ, else
``(1 + Jaccard(keys(g), keys(p)) + Σ_{k ∈ keys(g)} 1{p[k] = g[k]}) / (2 + |keys(g)|)``, so an exact call
scores 1. Calls are then paired one-to-one: ``hungarian`` is the exact optimum (scipy's
``linear_sum_assignment``), ``greedy`` is MatchTIR's own heuristic (kept to show where it loses), and
``sinkhorn`` is the soft optimal-transport variant: an entropic plan T over the square matrix padded with
zero-similarity dummies (every row and column carrying mass 1), each predicted call earning
``r_i = Σ_j T_ij S_ij``. From the per-call rewards come precision ``Σr/|pred|``, recall ``Σr/|gold|``
and F1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

Method = Literal["hungarian", "greedy", "sinkhorn"]


def call_similarity(pred_name: str, pred_args: Mapping[str, Any], gold_name: str,
                    gold_args: Mapping[str, Any]) -> float:
    """MatchTIR's similarity of one predicted call to one gold call, in [0, 1]."""
    if pred_name != gold_name:
        return 0.0
    gk, pk = gold_args.keys(), pred_args.keys()
    union = len(gk | pk)
    jaccard = len(gk & pk) / union if union else 1.0
    agree = sum(1 for k, v in gold_args.items() if k in pred_args and _same(pred_args[k], v))
    return (1.0 + jaccard + agree) / (2.0 + len(gold_args))


def _same(a: Any, b: Any) -> bool:
    # 3 == 3.0 is the same value, but True == 1 is not the same argument
    return a == b and (type(a) is bool) == (type(b) is bool)


def similarity_matrix(pred: Sequence[tuple[str, Mapping[str, Any]]],
                      gold: Sequence[tuple[str, Mapping[str, Any]]]) -> np.ndarray:
    """``S[i, j]`` = similarity of predicted call i to gold call j; calls are ``(name, arguments)``."""
    rows = [[call_similarity(pn, pa, gn, ga) if pn == gn else 0.0 for gn, ga in gold] for pn, pa in pred]
    return np.array(rows, dtype=float).reshape(len(pred), len(gold))


@dataclass
class Matching:
    """Per-predicted-call rewards and the resulting precision / recall / F1."""

    rewards: list[float]  # one per predicted call
    pairs: list[tuple[int, int]]  # (pred, gold) pairs with similarity > 0 (hard methods only)
    n_pred: int
    n_gold: int

    @property
    def matched(self) -> float:
        return float(sum(self.rewards))

    @property
    def precision(self) -> float:
        return self.matched / self.n_pred if self.n_pred else 1.0  # no calls made: none was wrong

    @property
    def recall(self) -> float:
        return self.matched / self.n_gold if self.n_gold else 1.0  # no calls needed: nothing missed

    @property
    def f1(self) -> float:
        if self.n_pred == 0 or self.n_gold == 0:  # exact only when both sides are empty
            return float(self.n_pred == self.n_gold)
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0


def hungarian(S: np.ndarray) -> list[tuple[int, int]]:
    """The one-to-one pairing that maximises total similarity (exact)."""
    if S.size == 0:
        return []
    rows, cols = linear_sum_assignment(S, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True)]


def greedy(S: np.ndarray) -> list[tuple[int, int]]:
    """Repeatedly take the most similar remaining pair (MatchTIR's code); not optimal in general."""
    order = sorted(((float(S[i, j]), i, j) for i in range(S.shape[0]) for j in range(S.shape[1])),
                   key=lambda x: (-x[0], x[1], x[2]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    pairs = []
    for _, i, j in order:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def sinkhorn(S: np.ndarray, reg: float = 0.1, max_iter: int = 2000, tol: float = 1e-9) -> np.ndarray:
    """Entropic optimal-transport plan for cost ``1 - S`` over the square, dummy-padded matrix.

    Rows and columns each carry mass 1; returns the plan restricted to the real (pred × gold) block.
    """
    m, n = S.shape
    N = max(m, n)
    if N == 0:
        return np.zeros((m, n))
    padded = np.zeros((N, N))
    padded[:m, :n] = S
    K = np.exp(-(1.0 - padded) / reg)
    u = np.ones(N)
    v = np.ones(N)
    for _ in range(max_iter):
        u = 1.0 / (K @ v)
        v = 1.0 / (K.T @ u)
        if np.abs(u * (K @ v) - 1.0).max() < tol:
            break
    T = u[:, None] * K * v[None, :]
    return T[:m, :n]


def match(S: np.ndarray, method: Method = "hungarian", reg: float = 0.1) -> Matching:
    m, n = S.shape
    if method == "sinkhorn":
        T = sinkhorn(S, reg)
        rewards = (T * S).sum(axis=1).tolist() if m and n else [0.0] * m
        return Matching(rewards=rewards, pairs=[], n_pred=m, n_gold=n)
    pairs = hungarian(S) if method == "hungarian" else greedy(S)
    rewards = [0.0] * m
    kept = []
    for i, j in pairs:
        if S[i, j] > 0:
            rewards[i] = float(S[i, j])
            kept.append((i, j))
    return Matching(rewards=rewards, pairs=kept, n_pred=m, n_gold=n)


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1 (lower-cased whitespace tokens), MatchTIR's answer-turn reward."""
    p, r = prediction.lower().split(), reference.lower().split()
    if not p or not r:
        return float(p == r)
    common: dict[str, int] = {}
    for tok in r:
        common[tok] = common.get(tok, 0) + 1
    overlap = 0
    for tok in p:
        if common.get(tok, 0) > 0:
            common[tok] -= 1
            overlap += 1
    if not overlap:
        return 0.0
    prec, rec = overlap / len(p), overlap / len(r)
    return 2 * prec * rec / (prec + rec)
