"""Client side of the tool-server protocol, shared by the process and docker backends.

The sync path uses a kept-alive ``http.client`` connection on the Unix socket (a few tens of microseconds
of overhead); the async path uses ``httpx.AsyncClient`` with a UDS transport so hundreds of episodes can
wait on their tools concurrently. Both speak the same JSON to the same server.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import weakref
from collections.abc import Callable
from typing import Any

import httpx

from agentgym.errors import SandboxError
from agentgym.sandbox.base import SandboxSession
from agentgym.types import ToolCall, ToolResult

_HEADERS = {"Content-Type": "application/json"}


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


class ServerClient:
    """Requests to one tool server; raises ``SandboxError`` when the server is unreachable."""

    def __init__(self, socket_path: str, timeout: float = 60.0):
        self.socket_path, self.timeout = socket_path, timeout
        self._local = threading.local()

    def _conn(self) -> _UnixConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = _UnixConnection(self.socket_path, self.timeout)
        return conn

    def request(self, method: str, path: str, body: Any = None, timeout: float | None = None) -> Any:
        data = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        for attempt in (0, 1):  # a kept-alive connection may have been closed by the server: retry once
            conn = self._conn()
            conn.timeout = timeout or self.timeout
            if conn.sock is not None:
                conn.sock.settimeout(conn.timeout)
            try:
                conn.request(method, path, body=data, headers=_HEADERS)
                resp = conn.getresponse()
                payload = resp.read()
                status = resp.status
                break
            except (ConnectionError, http.client.HTTPException, FileNotFoundError, OSError) as exc:
                conn.close()
                if attempt or isinstance(exc, TimeoutError | FileNotFoundError | ConnectionRefusedError):
                    raise SandboxError(f"tool server at {self.socket_path} is unreachable: {exc}") from None
        return _decode(status, payload, path)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _decode(status: int, payload: bytes, path: str) -> Any:
    try:
        body = json.loads(payload) if payload else {}
    except json.JSONDecodeError:
        raise SandboxError(f"tool server sent non-JSON for {path}: {payload[:200]!r}") from None
    if status >= 400:
        raise SandboxError(f"tool server refused {path}: {body.get('error', body)}")
    return body


# One AsyncClient per (event loop, socket): clients are bound to the loop that made them.
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, httpx.AsyncClient]] = \
    weakref.WeakKeyDictionary()


def async_client(socket_path: str) -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    per_loop = _async_clients.setdefault(loop, {})
    client = per_loop.get(socket_path)
    if client is None or client.is_closed:
        transport = httpx.AsyncHTTPTransport(uds=socket_path, retries=1,
                                             limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
        client = per_loop[socket_path] = httpx.AsyncClient(transport=transport, base_url="http://sandbox",
                                                           timeout=None)
    return client


def forget(socket_path: str) -> None:
    """Drop the async clients of a server that is gone (they close when their loop collects them)."""
    for per_loop in list(_async_clients.values()):
        per_loop.pop(socket_path, None)


class RemoteSession(SandboxSession):
    """A world hosted by a tool server. ``on_close`` hands the server back to its pool."""

    def __init__(self, client: ServerClient, session_id: str, tools: list[dict[str, Any]],
                 call_timeout: float, on_close: Callable[[RemoteSession, bool], None] | None = None):
        self.client, self.id, self._tools = client, session_id, tools
        self.call_timeout = call_timeout
        self._on_close = on_close
        self.broken = False
        self.closed = False

    def _timeout(self, timeout: float | None) -> float:
        return float(timeout if timeout is not None else self.call_timeout)

    def _infra_result(self, call: ToolCall, exc: Exception) -> ToolResult:
        self.broken = True
        return ToolResult(call_id=call.id, name=call.name, error="sandbox",
                          content=f"the sandbox stopped responding while running '{call.name}' ({exc}); "
                                  f"its server was replaced")

    def call(self, call: ToolCall, timeout: float | None = None) -> ToolResult:
        t = self._timeout(timeout)
        try:
            body = self.client.request("POST", f"/sessions/{self.id}/call",
                                       {"call": call.model_dump(), "timeout": t}, timeout=t + 10)
        except SandboxError as exc:
            return self._infra_result(call, exc)
        return self._result(call, body)

    def _result(self, call: ToolCall, body: Any) -> ToolResult:
        try:
            return ToolResult.model_validate(body)
        except ValueError as exc:  # not our server's answer: treat the server as compromised
            return self._infra_result(call, SandboxError(f"malformed reply: {str(exc)[:200]}"))

    async def acall(self, call: ToolCall, timeout: float | None = None) -> ToolResult:
        t = self._timeout(timeout)
        try:
            resp = await async_client(self.client.socket_path).post(
                f"/sessions/{self.id}/call", json={"call": call.model_dump(), "timeout": t}, timeout=t + 10)
        except httpx.HTTPError as exc:
            return self._infra_result(call, exc)
        try:
            body = _decode(resp.status_code, resp.content, "call")
        except SandboxError as exc:
            return self._infra_result(call, exc)
        return self._result(call, body)

    def tool_specs(self) -> list[dict[str, Any]]:
        return [dict(t) for t in self._tools]

    def snapshot(self) -> dict[str, Any]:
        return self.client.request("GET", f"/sessions/{self.id}/snapshot")["state"]

    def restore(self, snapshot: dict[str, Any]) -> None:
        self.client.request("POST", f"/sessions/{self.id}/restore", {"state": snapshot})

    def reset(self) -> None:
        self.client.request("POST", f"/sessions/{self.id}/reset", {})

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if not self.broken:
            try:
                self.client.request("DELETE", f"/sessions/{self.id}", timeout=10)
            except SandboxError:
                self.broken = True
        if self._on_close is not None:
            self._on_close(self, self.broken)
