"""The ``openai-compatible`` policy: a local OpenAI-style server over httpx, keeping the tokens for RL.

Works with ``agentgym serve`` (either engine) and with plain vLLM. It asks for ``logprobs`` and vLLM's
``return_token_ids`` and returns, with each assistant message, a ``TokenData`` of the prompt token ids,
the completion token ids and one logprob per completion token (``PolicyOutput.tokens``).

    policy = make_policy("openai-compatible", base_url=server.base_url, temperature=0.0, max_tokens=256)

Options: ``model`` (default: the server's first ``/v1/models`` entry), ``api_key``, ``temperature``,
``top_p``, ``max_tokens``, ``seed`` (default: the episode seed; each turn adds its index), ``stop``,
``top_logprobs``, ``native_tools`` (send ``tools`` in the request; False writes them into the prompt),
``timeout_s``, ``max_retries``, ``backoff_s``, ``extra_body`` (merged into every request).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from agentgym.errors import ConfigError, InfrastructureError
from agentgym.policies.base import Observation, Policy, PolicyOutput
from agentgym.policies.chat import request_messages, response_message
from agentgym.policies.retry import RetryPolicy, Transient
from agentgym.types import TokenData, Usage


class OpenAICompatiblePolicy(Policy):
    name = "openai-compatible"

    def __init__(self, base_url: str | None = None, model: str | None = None, *, api_key: str | None = None,
                 temperature: float = 0.0, top_p: float = 1.0, max_tokens: int = 256, seed: int | None = None,
                 stop: list[str] | None = None, top_logprobs: int = 0, native_tools: bool = True,
                 timeout_s: float = 120.0, max_retries: int = 4, backoff_s: float = 0.5,
                 extra_body: dict[str, Any] | None = None):
        if not base_url:
            raise ConfigError("the openai-compatible policy needs base_url, e.g. http://127.0.0.1:8000/v1 "
                              "(start one with `agentgym serve`)")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.sampling = {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens}
        self.seed, self.stop, self.top_logprobs = seed, stop, top_logprobs
        self.native_tools, self.timeout_s = native_tools, timeout_s
        self.retry = RetryPolicy(max_retries=max_retries, base_s=backoff_s)
        self.extra_body = extra_body or {}
        self._clients: dict[int, httpx.AsyncClient] = {}

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "base_url": self.base_url, "model": self.model, **self.sampling,
                "seed": self.seed, "stop": self.stop, "native_tools": self.native_tools,
                "extra_body": self.extra_body}

    def _client(self) -> httpx.AsyncClient:
        """One client per event loop (a client cannot outlive the loop it was made in)."""
        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._clients[loop] = httpx.AsyncClient(timeout=self.timeout_s, headers=headers)
        return self._clients[loop]

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            resp = await self._client().request(method, self.base_url + path, json=body)
        except httpx.TimeoutException as exc:
            raise Transient(f"timed out after {self.timeout_s}s ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise Transient(f"connection failed: {exc!r}") from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            raise Transient(f"HTTP {resp.status_code}: {resp.text[:200]}", resp.status_code)
        if resp.status_code >= 400:
            raise InfrastructureError(f"{self.base_url}{path} rejected the request: HTTP {resp.status_code}: "
                                      f"{resp.text[:500]}", retryable=False, status_code=resp.status_code)
        try:
            data = resp.json()
        except json.JSONDecodeError as exc:
            raise Transient(f"malformed JSON response: {resp.text[:200]!r}") from exc
        if not isinstance(data, dict):
            raise Transient(f"malformed response: {resp.text[:200]!r}")
        return data

    async def _model_name(self) -> str:
        if self.model is None:
            data, _ = await self.retry.run(lambda: self._request("GET", "/models"), f"GET {self.base_url}/models")
            models = data.get("data") or []
            if not models:
                raise InfrastructureError(f"{self.base_url}/models lists no model", retryable=False)
            self.model = str(models[0]["id"])
        return self.model

    async def act(self, observation: Observation) -> PolicyOutput:
        messages, tools = request_messages(observation.messages, observation.tools, self.native_tools)
        body: dict[str, Any] = {
            "model": await self._model_name(), "messages": messages, **self.sampling,
            "seed": (self.seed if self.seed is not None else observation.seed) + observation.turn,
            "logprobs": True, "return_token_ids": True, **self.extra_body,
        }
        if tools:
            body["tools"] = tools
        if self.stop:
            body["stop"] = self.stop
        if self.top_logprobs:
            body["top_logprobs"] = self.top_logprobs

        async def call() -> dict[str, Any]:
            data = await self._request("POST", "/chat/completions", body)
            if not data.get("choices") or not isinstance(data["choices"][0], dict):
                raise Transient(f"response has no choices: {json.dumps(data)[:200]}")
            return data

        started = time.perf_counter()
        data, _ = await self.retry.run(call, f"POST {self.base_url}/chat/completions")
        latency = time.perf_counter() - started
        choice = data["choices"][0]
        usage = data.get("usage") or {}
        lp_content = (choice.get("logprobs") or {}).get("content") or []
        tokens = None
        if data.get("prompt_token_ids") is not None or choice.get("token_ids") is not None or lp_content:
            tokens = TokenData(prompt_ids=list(data.get("prompt_token_ids") or []),
                               completion_ids=list(choice.get("token_ids") or []),
                               logprobs=[float(t["logprob"]) for t in lp_content])
        return PolicyOutput(
            message=response_message(choice.get("message")),
            usage=Usage(prompt_tokens=int(usage.get("prompt_tokens") or 0),
                        completion_tokens=int(usage.get("completion_tokens") or 0),
                        latency_s=latency, calls=1),
            tokens=tokens,
        )

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            try:
                await c.aclose()
            except RuntimeError:  # its loop is already closed
                pass
