"""A fake OpenAI-compatible provider on loopback, for what cannot run here (paid APIs, GPUs).

It speaks the real chat-completions protocol so that the real clients (``openai``, ``litellm``, the
openai-compatible policy) are exercised against it, and it can misbehave on purpose: 429s, 500s, slow
answers and malformed JSON, either on a fixed schedule or at a seeded random rate. It binds 127.0.0.1 only
and stops with its context.

    with FakeOpenAIServer(responder=lambda req: {"content": "hi"}) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x")
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: A responder gets the parsed request body and returns ``{"content": str, "tool_calls": [...]}``
#: (tool calls as ``{"name": ..., "arguments": {...}}``), optionally ``usage``.
Responder = Callable[[dict[str, Any]], dict[str, Any]]

FAULTS = ("429", "500", "slow", "malformed")


def echo_responder(request: dict[str, Any]) -> dict[str, Any]:
    """Answers with the last user message, reversed; deterministic and cheap."""
    last = next((m for m in reversed(request.get("messages", [])) if m.get("role") == "user"), {})
    return {"content": f"echo: {str(last.get('content', ''))[::-1]}"}


@dataclass
class FaultPlan:
    """Which requests misbehave. ``schedule`` maps a 0-based request number to a fault; otherwise each
    request fails with probability ``rate``, the fault drawn from ``kinds`` by a seeded RNG."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "slow", "malformed")
    schedule: dict[int, str] = field(default_factory=dict)
    slow_s: float = 2.0
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self, n: int) -> str | None:
        if n in self.schedule:
            return self.schedule[n]
        with self._lock:
            if self.rate and self._rng.random() < self.rate:
                return self._rng.choice(self.kinds)
        return None


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (its timeout fired during a ``slow`` fault) is expected, not an error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAIServer:
    """Threaded HTTP server with ``/v1/models`` and ``/v1/chat/completions`` on 127.0.0.1."""

    def __init__(self, responder: Responder = echo_responder, faults: FaultPlan | None = None,
                 latency_s: float = 0.0, model: str = "fake-model", max_lifetime_s: float = 600.0):
        self.responder = responder
        self.faults = faults or FaultPlan()
        self.latency_s = latency_s
        self.model = model
        self.max_lifetime_s = max_lifetime_s
        self.requests: list[dict[str, Any]] = []
        self.faults_served: list[str] = []
        self._count = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeOpenAIServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    body = {"object": "list", "data": [{"id": server.model, "object": "model", "owned_by": "fake"}]}
                    self._send(200, json.dumps(body).encode())
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, b'{"error": {"message": "not found"}}')
                    return
                try:
                    request = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    self._send(400, b'{"error": {"message": "invalid JSON body", "type": "invalid_request_error"}}')
                    return
                with server._lock:
                    n = server._count
                    server._count += 1
                    server.requests.append(request)
                fault = server.faults.draw(n)
                if fault:
                    server.faults_served.append(fault)
                if fault == "429":
                    self.send_response(429)
                    body = b'{"error": {"message": "Rate limit exceeded", "type": "rate_limit_error", "code": "rate_limit_exceeded"}}'
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if fault == "500":
                    self._send(500, b'{"error": {"message": "Internal server error", "type": "server_error"}}')
                    return
                if fault == "malformed":
                    self._send(200, b'{"id": "chatcmpl-x", "choices": [{"message": {"content": ')
                    return
                if fault == "slow":
                    time.sleep(server.faults.slow_s)
                if server.latency_s:
                    time.sleep(server.latency_s)
                self._send(200, json.dumps(server._completion(request, n)).encode())

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.max_lifetime_s, self.stop)  # never outlive a crashed test
        self._timer.daemon = True
        self._timer.start()
        return self

    def _completion(self, request: dict[str, Any], n: int) -> dict[str, Any]:
        out = self.responder(request)
        content = out.get("content")
        message: dict[str, Any] = {"role": "assistant", "content": content}
        tool_calls = out.get("tool_calls") or []
        if tool_calls:
            message["tool_calls"] = [
                {"id": c.get("id", f"call_{n}_{i}"), "type": "function",
                 "function": {"name": c["name"], "arguments": c["arguments"] if isinstance(c["arguments"], str)
                              else json.dumps(c["arguments"])}}
                for i, c in enumerate(tool_calls)]
        prompt_tokens = sum(len(str(m.get("content") or "").split()) for m in request.get("messages", []))
        completion_tokens = len(str(content or "").split()) + 8 * len(tool_calls)
        usage = out.get("usage") or {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                     "total_tokens": prompt_tokens + completion_tokens}
        return {
            "id": f"chatcmpl-{n}", "object": "chat.completion", "created": 1_700_000_000,
            "model": request.get("model", self.model),
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if tool_calls else "stop"}],
            "usage": usage,
        }

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._timer is not None:
            self._timer.cancel()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
