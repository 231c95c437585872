"""When an injection may happen: rate, per-episode and per-tool caps, start turn and interval."""

from __future__ import annotations

import random
from collections import Counter

from agentgym.env import derive_seed
from agentgym.noise.spec import NoiseConfig


class InjectionBudget:
    """Seeded per episode from (noise seed, episode seed), so the same seeds give the same injections."""

    def __init__(self, config: NoiseConfig):
        self.config = config
        self.reset(0)

    def reset(self, episode_seed: int) -> None:
        self.rng = random.Random(derive_seed(self.config.seed, episode_seed, self.config.source, "noise"))
        self.total = 0
        self.per_tool: Counter[str] = Counter()
        self.last_turn: int | None = None

    def draw(self, turn: int, tool: str | None = None, allowed: set[str] | None = None) -> str | None:
        """The noise type to inject now, or None. Draws happen in a fixed order, so runs are reproducible."""
        c = self.config
        roll = self.rng.random()  # exactly one draw per opportunity: keeps the stream aligned across runs
        kind, edge = None, 0.0
        for name, rate in c.rates.items():  # type i is chosen with probability rates[i] (when they sum <= 1)
            edge += rate
            if roll < edge:
                kind = name
                break
        if kind is None or (allowed is not None and kind not in allowed) or turn < c.start_turn or self.total >= c.max_total:
            return None
        if tool is not None and self.per_tool[tool] >= c.max_per_tool:
            return None
        if self.last_turn is not None and turn != self.last_turn and turn - self.last_turn < c.interval:
            return None
        self.total += 1
        self.last_turn = turn
        if tool is not None:
            self.per_tool[tool] += 1
        return kind
