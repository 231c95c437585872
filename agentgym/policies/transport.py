"""A lean keep-alive HTTP/1.1 client for policy servers, on asyncio protocols and the httptools parser.

Rollouts talk to one local policy server (vLLM, ``agentgym serve``) from hundreds of concurrent episodes, so
the client's CPU per request bounds the harness: at concurrency 256 and 100 ms per completion that is 2,560
requests per second from one event loop. Measured on the runner benchmark's fake server (20,000 requests at
concurrency 256, client CPU per request): httpx 0.28 / httpcore 1.0.9 ~15 ms (its pool re-scans every
connection for every queued request, quadratic in the concurrency), httpx2 ~2.8 ms, aiohttp ~260 µs, this
client ~60-100 µs. What it leaves out is what a policy server does not need: redirects, cookies, proxies,
compression. HTTP parsing (content length, chunked bodies, keep-alive) is httptools', the parser uvicorn uses.
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

import httptools


class TransportError(Exception):
    """The request did not get a complete HTTP response: connection refused or lost, timeout, bad HTTP."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight on it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.received = False  # any byte of the current response
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._headers_done = False
        self._framed = False  # the response says where its body ends (a length, or chunks)
        self._keep_alive = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(TransportError(f"malformed HTTP response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._headers_done and not self._framed and self.waiter is not None and not self.waiter.done():
            self._complete()  # a body without a length or chunks ends with the connection
        self._fail(TransportError(f"connection closed before a complete response ({exc or 'by the server'})"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._keep_alive = self._parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._complete()

    # internals
    def _complete(self) -> None:
        status, body = self._parser.get_status_code(), b"".join(self._body)
        if not self._keep_alive:
            self.close()
        self._parser, self._body = httptools.HttpResponseParser(self), []
        self._headers_done = self._framed = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, body))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class HTTPClient:
    """Requests to one ``http(s)://host:port`` with a pool of keep-alive connections.

    Connections are opened on demand and kept for reuse, so the pool grows to the peak number of concurrent
    requests (the engine's concurrency) and never queues a request behind another. A client belongs to the
    event loop it first ran in, like the connections it holds.
    """

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout_s: float = 120.0):
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.host = url.hostname
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.ssl = ssl.create_default_context() if url.scheme == "https" else None
        self.prefix = url.path.rstrip("/")
        self.timeout_s = timeout_s
        netloc = url.netloc.rsplit("@", 1)[-1]
        self._head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": netloc, **(headers or {})}.items()).encode()
        self._idle: list[_Connection] = []

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """(status, body) of ``method prefix+path``; a ``body`` is sent as JSON. Raises ``TransportError``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        head = (f"{method} {self.prefix}{path} HTTP/1.1\r\n".encode() + self._head
                + (b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) if body is not None
                   else b"\r\n"))
        payload = head + body if body is not None else head
        while self._idle:  # a pooled connection the server closed while idle can fail before any reply:
            conn = self._idle.pop()  # then the request is sent again on another one
            if conn.closed:
                continue
            try:
                return await self._exchange(loop, conn, payload, deadline)
            except TransportError:
                if conn.received or loop.time() >= deadline:
                    raise
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(_Connection, self.host, self.port, ssl=self.ssl),
                max(deadline - loop.time(), 0.001))
        except (OSError, asyncio.TimeoutError) as exc:
            raise TransportError(f"cannot connect to {self.host}:{self.port}: {exc!r}") from exc
        return await self._exchange(loop, conn, payload, deadline)

    async def _exchange(self, loop: asyncio.AbstractEventLoop, conn: _Connection, payload: bytes,
                        deadline: float) -> tuple[int, bytes]:
        conn.waiter, conn.received = loop.create_future(), False
        timer = loop.call_at(deadline, _expire, conn, self.timeout_s)
        try:
            assert conn.transport is not None
            conn.transport.write(payload)
            status, body = await conn.waiter
        except BaseException:
            conn.close()  # a half-read response would poison the next request on this connection
            raise
        finally:
            timer.cancel()
            conn.waiter = None
        if not conn.closed:
            self._idle.append(conn)
        return status, body

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _expire(conn: _Connection, timeout_s: float) -> None:
    conn._fail(TransportError(f"timed out after {timeout_s}s"))
