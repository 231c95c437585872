"""Finding envs by name: ``agentgym.make("cctu")`` and ``gymnasium.make("agentgym/cctu-v0")``.

Envs are discovered through the ``agentgym.envs`` entry-point group (the shipped ones are declared in
agentgym's own pyproject), so a third-party package adds an env by declaring an entry point, without
touching this repository. ``register`` adds one at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import gymnasium

from agentgym.errors import UnknownEnvError

GROUP = "agentgym.envs"


@dataclass
class EnvEntry:
    name: str
    target: Any  # "module:Class" or the class itself
    source: str  # "entry-point" or "register"

    def load(self) -> type:
        if isinstance(self.target, str):
            from agentgym.world import resolve

            self.target = resolve(self.target)
        return self.target


_REGISTRY: dict[str, EnvEntry] = {}
_discovered = False


def gym_id(name: str) -> str:
    return f"agentgym/{name}-v0"


def _gym_register(name: str) -> None:
    if gym_id(name) not in gymnasium.registry:
        gymnasium.register(id=gym_id(name), entry_point=_GymFactory(name), disable_env_checker=False)


class _GymFactory:
    """Picklable factory so ``gymnasium.make`` (and async vector envs) can build agentgym envs."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, **kwargs: Any) -> Any:
        return make(self.name, **kwargs)


def discover() -> None:
    """Load entry-point declarations (not the env modules themselves) once."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for ep in entry_points(group=GROUP):
        _REGISTRY.setdefault(ep.name, EnvEntry(ep.name, ep.value, "entry-point"))
        _gym_register(ep.name)


def register(name: str, env_class: type | str) -> None:
    """Register an env class (or ``"module:Class"``) under a name, also with gymnasium."""
    _REGISTRY[name] = EnvEntry(name, env_class, "register")
    _gym_register(name)


def list_envs() -> list[str]:
    discover()
    return sorted(_REGISTRY)


def env_class(name: str) -> type:
    discover()
    if name not in _REGISTRY:
        raise UnknownEnvError(name, list(_REGISTRY))
    return _REGISTRY[name].load()


def make(name: str, split: str = "test", **kwargs: Any) -> Any:
    """Build an env by name. Keyword arguments go to the env's constructor (sandbox, max_turns, ...)."""
    return env_class(name)(split=split, **kwargs)
