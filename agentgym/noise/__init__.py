"""Noise wrappers for any env (AgentNoiseBench): ``ToolNoise``, ``UserNoise``, the noise-aware oracle and
robustness metrics.

    env = apply_noise(agentgym.make("calculator"), ["tool:failure=0.2,wrong=0.1"])
"""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium

from agentgym.noise.metrics import acted_on_injection, robustness, stability_gated_success
from agentgym.noise.oracle import NoiseAwareOracle, wrap_oracle
from agentgym.noise.spec import TOOL_TYPES, USER_TYPES, NoiseConfig, parse_noise
from agentgym.noise.tool import ToolNoise
from agentgym.noise.user import UserNoise


def apply_noise(env: gymnasium.Env, specs: Sequence[str | NoiseConfig]) -> gymnasium.Env:
    """Wrap ``env`` with one noise wrapper per spec (``"tool:..."`` or ``"user:..."``)."""
    for spec in specs:
        config = parse_noise(spec) if isinstance(spec, str) else spec
        env = ToolNoise(env, config) if config.source == "tool" else UserNoise(env, config)
    return env


__all__ = ["TOOL_TYPES", "USER_TYPES", "NoiseAwareOracle", "NoiseConfig", "ToolNoise", "UserNoise",
           "acted_on_injection", "apply_noise", "parse_noise", "robustness", "stability_gated_success",
           "wrap_oracle"]
