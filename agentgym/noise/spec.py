"""Noise configuration, and the CLI form ``tool:failure=0.2,wrong=0.1`` / ``user:ambiguity``.

A bare type name means the default rate (0.3). Other keys are controls shared by every type of the group:
``max_total`` (injections per episode), ``max_per_tool``, ``start_turn``, ``interval`` (turns between
injections), ``seed``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agentgym.errors import ConfigError

TOOL_TYPES = ("failure", "incomplete", "wrong", "redundant", "induce")
USER_TYPES = ("ambiguity", "topic_shift", "conflict", "redundancy", "boundary", "cognition")
DEFAULT_RATE = 0.3


class NoiseConfig(BaseModel):
    """One noise group. ``rates`` maps a type to its per-call (tool) or per-message (user) probability."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["tool", "user"]
    rates: dict[str, float]
    max_total: int = Field(8, ge=0)
    max_per_tool: int = Field(4, ge=0)
    start_turn: int = Field(0, ge=0)
    interval: int = Field(1, ge=1)
    seed: int = 0

    def spec(self) -> str:
        """Back to the CLI form (recorded in run manifests)."""
        parts = [f"{k}={v:g}" for k, v in self.rates.items()]
        defaults = NoiseConfig(source=self.source, rates={})
        for key in ("max_total", "max_per_tool", "start_turn", "interval", "seed"):
            if getattr(self, key) != getattr(defaults, key):
                parts.append(f"{key}={getattr(self, key)}")
        return f"{self.source}:{','.join(parts)}"


def parse_noise(spec: str) -> NoiseConfig:
    """Parse ``tool:failure=0.2,wrong=0.1,max_total=3``; errors say which part is wrong."""
    source, sep, body = spec.partition(":")
    if not sep or source not in ("tool", "user"):
        raise ConfigError(f"noise spec {spec!r}: start with 'tool:' or 'user:', e.g. 'tool:failure=0.2'")
    known = TOOL_TYPES if source == "tool" else USER_TYPES
    rates: dict[str, float] = {}
    controls: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in body.split(","))):
        key, has_value, value = part.partition("=")
        if key in known:
            try:
                rate = float(value) if has_value else DEFAULT_RATE
            except ValueError:
                raise ConfigError(f"noise spec {spec!r}: rate of {key!r} must be a number, got {value!r}") from None
            if not 0.0 <= rate <= 1.0:
                raise ConfigError(f"noise spec {spec!r}: rate of {key!r} must be in [0, 1], got {rate}")
            rates[key] = rate
        elif key in ("max_total", "max_per_tool", "start_turn", "interval", "seed"):
            try:
                controls[key] = int(value)
            except ValueError:
                raise ConfigError(f"noise spec {spec!r}: {key} must be an integer, got {value!r}") from None
        else:
            raise ConfigError(f"noise spec {spec!r}: unknown {source} noise {key!r}; "
                              f"types: {', '.join(known)}; controls: max_total, max_per_tool, start_turn, "
                              "interval, seed")
    if not rates:
        raise ConfigError(f"noise spec {spec!r} names no noise type; types: {', '.join(known)}")
    try:
        return NoiseConfig(source=source, rates=rates, **controls)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"noise spec {spec!r}: {exc}") from None
