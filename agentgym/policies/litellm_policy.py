"""The ``litellm`` policy: any model string litellm accepts (``openai/gpt-4o``, ``anthropic/...``,
``hosted_vllm/...``), with native tool calling.

Sampling settings and the seed are forwarded. 429s, 5xx, timeouts, dropped connections and malformed
responses are retried with exponential backoff and jitter; after ``max_retries`` an ``InfrastructureError``
is raised, which the runner records as an infra failure (never a model failure). Cost comes from litellm's
price table (0 for models it does not know, e.g. local servers).

    policy = make_policy("litellm", model="openai/gpt-4o-mini", temperature=0.0)
    policy = make_policy("litellm", model="hosted_vllm/Qwen3-8B", base_url="http://127.0.0.1:8000/v1")
"""

from __future__ import annotations

import os
import time
from typing import Any

from agentgym.errors import ConfigError, InfrastructureError
from agentgym.policies.base import Observation, Policy, PolicyOutput
from agentgym.policies.chat import request_messages, response_message
from agentgym.policies.retry import RetryPolicy, Transient
from agentgym.types import TokenData, Usage

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def _litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


def _transient_types(litellm: Any) -> tuple[type[BaseException], ...]:
    names = ("RateLimitError", "InternalServerError", "ServiceUnavailableError", "APIConnectionError",
             "Timeout", "BadGatewayError", "APIError", "APIResponseValidationError")
    return tuple(getattr(litellm, n) for n in names if hasattr(litellm, n))


class LiteLLMCaller:
    """One retried ``litellm.(a)completion`` call, shared by the policy and the LLM user simulator."""

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 timeout_s: float = 60.0, max_retries: int = 4, backoff_s: float = 0.5, **kwargs: Any):
        if not model:
            raise ConfigError("the litellm policy needs a model, e.g. openai/gpt-4o-mini")
        self.model, self.base_url, self.api_key, self.timeout_s = model, base_url, api_key, timeout_s
        self.retry = RetryPolicy(max_retries=max_retries, base_s=backoff_s)
        self.kwargs = {k: v for k, v in kwargs.items() if v is not None}

    def _args(self, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        args = {"model": self.model, "messages": messages, "timeout": self.timeout_s, "num_retries": 0,
                "max_retries": 0, **self.kwargs, **{k: v for k, v in extra.items() if v is not None}}
        if self.base_url:
            args["api_base"] = self.base_url
        if self.api_key:
            args["api_key"] = self.api_key
        elif self.base_url and self.base_url.startswith(("http://127.", "http://localhost", "http://[::1]")):
            args["api_key"] = "EMPTY"  # a local server needs no key, but provider clients insist on one
        return args

    def _classify(self, litellm: Any, exc: Exception) -> Exception:
        status = getattr(exc, "status_code", None)
        if isinstance(exc, _transient_types(litellm)) and not (
                isinstance(status, int) and 400 <= status < 500 and status not in (408, 409, 429)):
            return Transient(f"{type(exc).__name__}: {str(exc)[:300]}", status)
        if isinstance(exc, (ValueError, KeyError, TypeError)) and not isinstance(exc, ConfigError):
            return Transient(f"malformed response ({type(exc).__name__}: {str(exc)[:200]})")
        return InfrastructureError(f"{self.model}: {type(exc).__name__}: {str(exc)[:500]}", retryable=False,
                                   status_code=status)

    @staticmethod
    def _check(resp: Any) -> Any:
        if not getattr(resp, "choices", None) or getattr(resp.choices[0], "message", None) is None:
            raise Transient("malformed response: no choices")
        return resp

    async def acall(self, messages: list[dict[str, Any]], **extra: Any) -> tuple[Any, float]:
        """(response, latency in s) of the first attempt that succeeds."""
        litellm = _litellm()
        args = self._args(messages, **extra)

        async def once() -> Any:
            try:
                return self._check(await litellm.acompletion(**args))
            except Transient:
                raise
            except Exception as exc:
                raise self._classify(litellm, exc) from exc

        started = time.perf_counter()
        resp, _ = await self.retry.run(once, f"litellm {self.model}")
        return resp, time.perf_counter() - started

    def call(self, messages: list[dict[str, Any]], **extra: Any) -> tuple[Any, float]:
        litellm = _litellm()
        args = self._args(messages, **extra)

        def once() -> Any:
            try:
                return self._check(litellm.completion(**args))
            except Transient:
                raise
            except Exception as exc:
                raise self._classify(litellm, exc) from exc

        started = time.perf_counter()
        resp, _ = self.retry.run_sync(once, f"litellm {self.model}")
        return resp, time.perf_counter() - started

    def usage(self, resp: Any, latency: float) -> Usage:
        """Tokens from the response; cost from litellm's price table (0 when the model is not priced)."""
        u = getattr(resp, "usage", None)
        try:
            cost = float(_litellm().completion_cost(completion_response=resp, model=self.model) or 0.0)
        except Exception:  # unknown model: litellm raises rather than returning 0
            cost = 0.0
        return Usage(prompt_tokens=int(getattr(u, "prompt_tokens", 0) or 0),
                     completion_tokens=int(getattr(u, "completion_tokens", 0) or 0),
                     cost=cost, latency_s=latency, calls=1)


class LiteLLMPolicy(Policy):
    name = "litellm"

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 temperature: float = 0.0, top_p: float | None = None, max_tokens: int | None = None,
                 seed: int | None = None, stop: list[str] | None = None, native_tools: bool = True,
                 timeout_s: float = 60.0, max_retries: int = 4, backoff_s: float = 0.5, **litellm_kwargs: Any):
        self.sampling = {"temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "stop": stop}
        self.seed, self.native_tools = seed, native_tools
        self.caller = LiteLLMCaller(model, base_url=base_url, api_key=api_key, timeout_s=timeout_s,
                                    max_retries=max_retries, backoff_s=backoff_s, **litellm_kwargs)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.caller.model, "base_url": self.caller.base_url,
                **self.sampling, "seed": self.seed, "native_tools": self.native_tools,
                **{k: v for k, v in self.caller.kwargs.items() if isinstance(v, (str, int, float, bool))}}

    async def act(self, observation: Observation) -> PolicyOutput:
        messages, tools = request_messages([m.to_openai() for m in observation.messages], observation.tools,
                                           self.native_tools)
        seed = (self.seed if self.seed is not None else observation.seed) + observation.turn
        resp, latency = await self.caller.acall(messages, tools=tools, seed=seed, **self.sampling)
        message = resp.choices[0].message
        raw = message.model_dump() if hasattr(message, "model_dump") else dict(message)
        return PolicyOutput(message=response_message(raw), usage=self.caller.usage(resp, latency),
                            tokens=token_data(resp))


def token_data(resp: Any) -> TokenData | None:
    """Token ids and logprobs when the server returned them (vLLM or ``agentgym serve`` behind
    ``hosted_vllm/`` or ``openai/`` with ``return_token_ids``); litellm keeps a choice's ids in
    ``provider_specific_fields``."""
    choice = resp.choices[0]
    completion = (getattr(choice, "provider_specific_fields", None) or {}).get("token_ids")
    prompt = getattr(resp, "prompt_token_ids", None)
    logprobs = getattr(choice, "logprobs", None)
    content = (logprobs.get("content") if isinstance(logprobs, dict) else getattr(logprobs, "content", None)) or []
    if completion is None and prompt is None:
        return None
    return TokenData(prompt_ids=list(prompt or []), completion_ids=list(completion or []),
                     logprobs=[float(t["logprob"] if isinstance(t, dict) else t.logprob) for t in content])
