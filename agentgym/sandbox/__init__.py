"""Sandboxes that host env worlds: ``local`` (in-process), ``process`` (bubblewrap + rlimits), ``docker``."""

from __future__ import annotations

from typing import Any

from agentgym.errors import ConfigError
from agentgym.sandbox.base import DEFAULT_CALL_TIMEOUT_S, Sandbox, SandboxSession
from agentgym.sandbox.local import LocalSandbox

BACKENDS = ("local", "process", "docker")


def make_sandbox(name: str | Sandbox = "local", **kwargs: Any) -> Sandbox:
    """A sandbox backend by name. ``process`` and ``docker`` are imported only when asked for."""
    if isinstance(name, Sandbox):
        return name
    if name == "local":
        return LocalSandbox(**kwargs)
    if name == "process":
        from agentgym.sandbox.process import ProcessSandbox

        return ProcessSandbox(**kwargs)
    if name == "docker":
        from agentgym.sandbox.docker import DockerSandbox

        return DockerSandbox(**kwargs)
    raise ConfigError(f"unknown sandbox {name!r}; choose one of: {', '.join(BACKENDS)}")


def __getattr__(name: str) -> Any:
    """``ProcessSandbox`` and ``DockerSandbox`` on first use, so importing agentgym stays light."""
    if name == "ProcessSandbox":
        from agentgym.sandbox.process import ProcessSandbox

        return ProcessSandbox
    if name == "DockerSandbox":
        from agentgym.sandbox.docker import DockerSandbox

        return DockerSandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BACKENDS", "DEFAULT_CALL_TIMEOUT_S", "DockerSandbox", "LocalSandbox", "ProcessSandbox", "Sandbox",
           "SandboxSession", "make_sandbox"]
