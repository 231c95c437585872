r"""Advantage estimators for multi-turn RL, in plain numpy.

Episodes come in *groups* (same task, different samples). Every estimator is a pure function of rewards and
group ids, so any trainer can call it. Notation: episode i in group g has turn rewards r_{i,t}, an episode
(session) reward R_i, and ε guards divisions.

- **GRPO** (Shao et al., 2024, DeepSeekMath): A_i = (R_i − mean_g R) / (std_g R + ε).
- **RLOO** (Ahmadian et al., 2024): A_i = R_i − mean_{j≠i, j∈g} R_j.
- **HIAN** (DuCA, "Dual-Horizon Credit Assignment", ACL 2026 Industry): normalise the two horizons separately
  inside the group, then fuse: A_sess,i = (R_i − mean_g R)/(std_g R + ε),
  A_turn,i,t = (r_{i,t} − mean_g r)/(std_g r + ε) over all the group's turn rewards,
  A_{i,t} = w_turn·A_turn,i,t + w_sess·A_sess,i. The paper gives no exact formula; this is the faithful form
  in agentgym's REFERENCES. A session reward 100× larger than the turn rewards cannot drown them.
- **MatchTIR dual-level**: A_traj,i = group-normalised total reward; G_{i,t} = Σ_{k≥t} γ^{k−t} r_{i,k}
  normalised across the group's episodes *at the same turn index t*; A_{i,t} = (A_traj,i + A_turn,i,t)/2.
- **EVPO gate**: EV = 1 − Var(G − V)/Var(G) over the batch; EV > 0 → A = G − V (the critic helps),
  else A = G − mean(G) (fall back to the batch mean).

Degenerate groups (a single episode, all rewards equal) get zero advantages rather than NaNs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence

import numpy as np

EPS = 1e-6


def _groups(group_ids: Sequence[Hashable]) -> dict[Hashable, list[int]]:
    out: dict[Hashable, list[int]] = defaultdict(list)
    for i, g in enumerate(group_ids):
        out[g].append(i)
    return out


def _normalise(x: np.ndarray, eps: float) -> np.ndarray:
    if x.size < 2:
        return np.zeros_like(x, dtype=float)
    std = x.std()
    if std <= max(eps, 1e-12):
        return np.zeros_like(x, dtype=float)
    return (x - x.mean()) / (std + eps)


def grpo(rewards: Sequence[float], group_ids: Sequence[Hashable], eps: float = EPS) -> np.ndarray:
    """Group-normalised episode advantages."""
    r = np.asarray(rewards, dtype=float)
    out = np.zeros_like(r)
    for idx in _groups(group_ids).values():
        out[idx] = _normalise(r[idx], eps)
    return out


def rloo(rewards: Sequence[float], group_ids: Sequence[Hashable]) -> np.ndarray:
    """Leave-one-out baseline: each episode against the mean of the rest of its group."""
    r = np.asarray(rewards, dtype=float)
    out = np.zeros_like(r)
    for idx in _groups(group_ids).values():
        n = len(idx)
        if n < 2:
            continue
        g = r[idx]
        out[idx] = g - (g.sum() - g) / (n - 1)
    return out


def hian(turn_rewards: Sequence[Sequence[float]], session_rewards: Sequence[float],
         group_ids: Sequence[Hashable], w_turn: float = 0.5, w_sess: float = 0.5,
         eps: float = EPS) -> list[np.ndarray]:
    """Per-turn advantages, one array per episode, from separately normalised turn and session signals."""
    sess = grpo(session_rewards, group_ids, eps)
    out = [np.zeros(len(t)) for t in turn_rewards]
    for idx in _groups(group_ids).values():
        pooled = np.concatenate([np.asarray(turn_rewards[i], dtype=float) for i in idx]) if idx else np.array([])
        if pooled.size >= 2 and pooled.std() > max(eps, 1e-12):
            mean, std = pooled.mean(), pooled.std() + eps
        else:
            mean, std = None, None
        for i in idx:
            r = np.asarray(turn_rewards[i], dtype=float)
            a_turn = (r - mean) / std if mean is not None else np.zeros_like(r)
            out[i] = w_turn * a_turn + w_sess * sess[i]
    return out


def discounted_returns(rewards: Sequence[float], gamma: float) -> np.ndarray:
    out = np.zeros(len(rewards))
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def matchtir_dual(turn_rewards: Sequence[Sequence[float]], group_ids: Sequence[Hashable], gamma: float = 0.9,
                  eps: float = EPS) -> list[np.ndarray]:
    """Trajectory-level plus turn-level (same turn index across the group) advantages, averaged."""
    totals = [float(np.sum(t)) for t in turn_rewards]
    a_traj = grpo(totals, group_ids, eps)
    returns = [discounted_returns(t, gamma) for t in turn_rewards]
    out = [np.zeros(len(t)) for t in turn_rewards]
    for idx in _groups(group_ids).values():
        horizon = max((len(turn_rewards[i]) for i in idx), default=0)
        for t in range(horizon):
            members = [i for i in idx if t < len(turn_rewards[i])]
            a_turn = _normalise(np.array([returns[i][t] for i in members]), eps)
            for i, a in zip(members, a_turn, strict=True):
                out[i][t] = (a_traj[i] + a) / 2
    return out


def explained_variance(returns: Sequence[float], values: Sequence[float]) -> float:
    g, v = np.asarray(returns, dtype=float), np.asarray(values, dtype=float)
    var = g.var()
    if var == 0:
        return 0.0
    return float(1.0 - (g - v).var() / var)


def evpo_gate(returns: Sequence[float], values: Sequence[float]) -> tuple[np.ndarray, float, bool]:
    """(advantages, EV, used_critic): the critic's baseline only when it explains variance (EV > 0)."""
    g, v = np.asarray(returns, dtype=float), np.asarray(values, dtype=float)
    ev = explained_variance(g, v)
    if ev > 0:
        return g - v, ev, True
    return g - g.mean(), ev, False
