"""In-process backend: the world lives in this interpreter. Fastest; for trusted tool code only."""

from __future__ import annotations

from typing import Any

from agentgym.sandbox.base import Sandbox, SandboxSession
from agentgym.types import ToolCall, ToolResult
from agentgym.world import World, WorldSpec, build_world


class LocalSession(SandboxSession):
    def __init__(self, world: World):
        self.world = world

    def call(self, call: ToolCall, timeout: float | None = None) -> ToolResult:
        # In-process code cannot be interrupted safely; timeouts are enforced by the process/docker backends.
        return self.world.call(call)

    def tool_specs(self) -> list[dict[str, Any]]:
        return self.world.tool_spec_dicts()

    def snapshot(self) -> dict[str, Any]:
        return self.world.snapshot()

    def restore(self, snapshot: dict[str, Any]) -> None:
        self.world.restore(snapshot)

    def reset(self) -> None:
        self.world.reset()

    def close(self) -> None:
        pass


class LocalSandbox(Sandbox):
    name = "local"

    def open(self, spec: WorldSpec) -> SandboxSession:
        return LocalSession(build_world(spec))
