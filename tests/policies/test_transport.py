"""The policy servers' HTTP client against real sockets: the response framings servers use, connection reuse
under concurrency, and every way a request can fail (each must end in ``TransportError``, never a hang)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest

from agentgym.policies.transport import HTTPClient, TransportError
from agentgym.testing.fake_openai import FakeOpenAIServer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    return head, await reader.readexactly(length)


async def _with_server(handler: Handler, client_call: Callable[[str], Awaitable[object]]) -> object:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        return await client_call(f"http://127.0.0.1:{port}/v1")


def _run(handler: Handler, client_call: Callable[[str], Awaitable[object]]) -> object:
    return asyncio.run(_with_server(handler, client_call))


def test_keep_alive_reuses_connections_and_the_pool_grows_only_to_the_concurrency() -> None:
    with FakeOpenAIServer(latency_s=0.05) as server:
        client = HTTPClient(server.base_url, headers={"Authorization": "Bearer k"})

        async def go() -> list[tuple[int, bytes]]:
            out = []
            for _ in range(3):  # three waves of 32 concurrent requests
                body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
                out += await asyncio.gather(*(client.request("POST", "/chat/completions", body) for _ in range(32)))
            return out

        results = asyncio.run(go())
    assert len(results) == 96 and all(status == 200 for status, _ in results)
    assert json.loads(results[0][1])["choices"][0]["message"]["content"] == "echo: ih"
    assert len(client._idle) == 32  # the second and third waves reused the first wave's connections
    assert len(server.requests) == 96


def test_chunked_and_close_delimited_bodies_are_read_whole() -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n")
        await writer.drain()
        await _read_request(reader)  # the same connection serves the next request
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    async def calls(url: str) -> list[tuple[int, bytes]]:
        client = HTTPClient(url)
        return [await client.request("GET", "/models"), await client.request("GET", "/models")]

    assert _run(chunked, calls) == [(200, b'{"a": 1}'), (200, b"{}")]

    async def http10(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"old\": true}")
        await writer.drain()
        writer.close()

    assert _run(http10, lambda url: HTTPClient(url).request("GET", "/models")) == (200, b'{"old": true}')

    async def http11_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"until\": ")
        await writer.drain()
        writer.write(b"\"eof\"}")
        await writer.drain()
        writer.close()

    assert _run(http11_close, lambda url: HTTPClient(url).request("GET", "/models")) == (200, b'{"until": "eof"}')


def test_a_connection_the_server_closed_while_idle_is_replaced_transparently() -> None:
    served = []

    async def one_per_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        served.append(1)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")  # says keep-alive, then hangs up
        await writer.drain()
        writer.close()

    async def calls(url: str) -> list[tuple[int, bytes]]:
        client = HTTPClient(url)
        first = await client.request("GET", "/models")
        await asyncio.sleep(0.05)
        return [first, await client.request("GET", "/models")]

    assert _run(one_per_connection, calls) == [(200, b"ok"), (200, b"ok")]
    assert len(served) == 2


@pytest.mark.parametrize("misbehaviour, message", [
    ("hang", "timed out after 0.3s"),
    ("hang_up", "connection closed before a complete response"),
    ("garbage", "malformed HTTP response"),
    ("truncated", "connection closed before a complete response"),
])
def test_every_failure_ends_in_a_transport_error(misbehaviour: str, message: str) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        if misbehaviour == "hang":
            await asyncio.sleep(5)
        elif misbehaviour == "garbage":
            writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        elif misbehaviour == "truncated":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\":")
        await writer.drain()
        writer.close()

    async def call(url: str) -> object:
        client = HTTPClient(url, timeout_s=0.3)
        with pytest.raises(TransportError, match=message):
            await client.request("POST", "/chat/completions", b"{}")
        return client._idle

    assert _run(handler, call) == []  # a failed connection is never reused


def test_connection_refused_is_a_transport_error() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransportError, match="cannot connect"):
        asyncio.run(HTTPClient(f"http://127.0.0.1:{port}/v1").request("GET", "/models"))


def test_bad_urls_are_refused_up_front() -> None:
    with pytest.raises(ValueError, match="not an http"):
        HTTPClient("ftp://example/v1")
