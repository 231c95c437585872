"""The ``openai-compatible`` policy: a local OpenAI-style server, keeping the tokens for RL.

Works with ``agentgym serve`` (either engine) and with plain vLLM. It asks for ``logprobs`` and vLLM's
``return_token_ids`` and returns, with each assistant message, a ``TokenData`` of the prompt token ids,
the completion token ids and one logprob per completion token (``PolicyOutput.tokens``).

    policy = make_policy("openai-compatible", base_url=server.base_url, temperature=0.0, max_tokens=256)

Options: ``model`` (default: the server's first ``/v1/models`` entry), ``api_key``, ``temperature``,
``top_p``, ``max_tokens``, ``seed`` (default: the episode seed; each turn adds its index), ``stop``,
``top_logprobs``, ``native_tools`` (send ``tools`` in the request; False writes them into the prompt),
``timeout_s``, ``max_retries``, ``backoff_s``, ``extra_body`` (merged into every request).

Requests go through ``transport.HTTPClient``, a keep-alive client lean enough for hundreds of concurrent
episodes per event loop (see that module for why not httpx).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from pydantic_core import from_json, to_json

from agentgym.errors import ConfigError, InfrastructureError
from agentgym.policies.base import Observation, Policy, PolicyOutput
from agentgym.policies.chat import OpenAIMessages, openai_tools, request_messages, response_message
from agentgym.policies.retry import RetryPolicy, Transient
from agentgym.policies.transport import HTTPClient, TransportError
from agentgym.types import TokenData, Usage, fast_construct


def json_object(fields: dict[str, Any], **encoded: bytes | None) -> bytes:
    """``fields`` as a JSON object, with members that are already JSON (the conversation, the tools) spliced
    in as they are rather than decoded and encoded again."""
    out = to_json(fields)
    extra = b"".join(b', "%s": %s' % (k.encode(), v) for k, v in encoded.items() if v is not None)
    return out[:-1] + extra + b"}" if out != b"{}" else b"{" + extra[2:] + b"}"


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
        self._clients: dict[int, HTTPClient] = {}
        self._conversations = OpenAIMessages()
        self._tools: dict[str, tuple[list[dict[str, Any]], bytes]] = {}

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "base_url": self.base_url, "model": self.model, **self.sampling,
                "seed": self.seed, "stop": self.stop, "native_tools": self.native_tools,
                "extra_body": self.extra_body}

    def _client(self) -> HTTPClient:
        """One client per event loop (its connections belong to the loop they were opened in)."""
        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._clients[loop] = HTTPClient(self.base_url, headers=headers, timeout_s=self.timeout_s)
        return self._clients[loop]

    async def _request(self, method: str, path: str, body: bytes | None = None) -> dict[str, Any]:
        try:
            status, raw = await self._client().request(method, path, body)
        except TransportError as exc:
            raise Transient(f"{self.base_url}{path}: {exc}") from exc
        if status == 429 or status >= 500:
            raise Transient(f"HTTP {status}: {raw[:200].decode(errors='replace')}", status)
        if status >= 400:
            raise InfrastructureError(f"{self.base_url}{path} rejected the request: HTTP {status}: "
                                      f"{raw[:500].decode(errors='replace')}", retryable=False, status_code=status)
        try:
            data = from_json(raw)
        except ValueError as exc:
            raise Transient(f"malformed JSON response: {raw[:200]!r}") from exc
        if not isinstance(data, dict):
            raise Transient(f"malformed response: {raw[:200]!r}")
        return data

    async def _model_name(self) -> str:
        if self.model is None:
            data, _ = await self.retry.run(lambda: self._request("GET", "/models"), f"GET {self.base_url}/models")
            models = data.get("data") or []
            if not models:
                raise InfrastructureError(f"{self.base_url}/models lists no model", retryable=False)
            self.model = str(models[0]["id"])
        return self.model

    def _encoded_tools(self, episode_id: str, tools: list[dict[str, Any]]) -> bytes:
        """The episode's tool list as JSON, encoded again only when the env hands out another list."""
        cached = self._tools.get(episode_id)
        if cached is None or cached[0] is not tools:
            cached = self._tools[episode_id] = (tools, to_json(openai_tools(tools)))
        return cached[1]

    async def act(self, observation: Observation) -> PolicyOutput:
        fields: dict[str, Any] = {
            "model": await self._model_name(), **self.sampling,
            "seed": (self.seed if self.seed is not None else observation.seed) + observation.turn,
            "logprobs": True, "return_token_ids": True, **self.extra_body,
        }
        if self.stop:
            fields["stop"] = self.stop
        if self.top_logprobs:
            fields["top_logprobs"] = self.top_logprobs
        if self.native_tools:
            messages = self._conversations.encode(observation.episode_id, observation.messages)
            tools = self._encoded_tools(observation.episode_id, observation.tools) if observation.tools else None
        else:
            inlined, _ = request_messages(self._conversations.convert(observation.episode_id, observation.messages),
                                          observation.tools, native_tools=False)
            messages, tools = to_json(inlined), None
        body = json_object(fields, messages=messages, tools=tools)

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
            usage=fast_construct(Usage, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                                 completion_tokens=int(usage.get("completion_tokens") or 0), cost=0.0,
                                 latency_s=latency, calls=1),
            tokens=tokens,
        )

    async def end(self, episode_id: str) -> None:
        self._conversations.forget(episode_id)
        self._tools.pop(episode_id, None)

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            c.close()
