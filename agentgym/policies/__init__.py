"""Policies: ``oracle``, ``scripted``, ``replay``, ``random``, ``litellm`` (any API model) and
``openai-compatible`` (local servers, with token ids and logprobs)."""

from __future__ import annotations

from typing import Any

from agentgym.errors import ConfigError
from agentgym.policies.base import Observation, Policy, PolicyOutput
from agentgym.policies.oracle import OraclePolicy

_FACTORIES: dict[str, str] = {
    "oracle": "agentgym.policies.oracle:OraclePolicy",
    "scripted": "agentgym.policies.scripted:ScriptedPolicy",
    "replay": "agentgym.policies.replay:ReplayPolicy",
    "random": "agentgym.policies.random_policy:RandomPolicy",
    "litellm": "agentgym.policies.litellm_policy:LiteLLMPolicy",
    "openai-compatible": "agentgym.policies.openai_compat:OpenAICompatiblePolicy",
}


def make_policy(name: str, **kwargs: Any) -> Policy:
    """A policy by name; keyword arguments go to its constructor."""
    from agentgym.world import resolve

    if name not in _FACTORIES:
        raise ConfigError(f"unknown policy {name!r}; choose one of: {', '.join(sorted(_FACTORIES))}")
    return resolve(_FACTORIES[name])(**kwargs)


__all__ = ["Observation", "OraclePolicy", "Policy", "PolicyOutput", "make_policy"]
