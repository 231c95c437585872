"""The sandbox protocol: where an env's world runs. Backends differ only in *where*, never in behaviour.

A ``Sandbox`` hands out ``SandboxSession``s, one per episode. A session hosts one world and answers tool
calls, snapshots and restores. The same ``WorldSpec`` and calls give the same results on every backend.
"""

from __future__ import annotations

import abc
from typing import Any

from agentgym.types import ToolCall, ToolResult
from agentgym.world import WorldSpec

DEFAULT_CALL_TIMEOUT_S = 10.0


class SandboxSession(abc.ABC):
    """One world, alive for one episode."""

    @abc.abstractmethod
    def call(self, call: ToolCall, timeout: float | None = None) -> ToolResult: ...

    async def acall(self, call: ToolCall, timeout: float | None = None) -> ToolResult:
        return self.call(call, timeout)

    @abc.abstractmethod
    def tool_specs(self) -> list[dict[str, Any]]:
        """The world's tools as ``ToolSpec`` dicts."""

    @abc.abstractmethod
    def snapshot(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def restore(self, snapshot: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    def reset(self) -> None:
        """Back to the world's initial state."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> SandboxSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Sandbox(abc.ABC):
    """A backend. ``open`` builds a world from a spec and returns its session."""

    name: str = "abstract"

    def __init__(self, call_timeout: float = DEFAULT_CALL_TIMEOUT_S):
        self.call_timeout = call_timeout

    @abc.abstractmethod
    def open(self, spec: WorldSpec) -> SandboxSession: ...

    def close(self) -> None:
        """Release every resource (processes, containers)."""

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
