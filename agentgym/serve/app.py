"""The built-in OpenAI-compatible server (``agentgym serve --engine transformers``) as a FastAPI app.

Endpoints: ``GET /v1/models``, ``POST /v1/chat/completions``, ``GET /health``. Beyond the OpenAI schema it
returns token-in/token-out data under vLLM's field names, so RL code works against either server:

* top-level ``prompt_token_ids``: the rendered prompt's ids;
* ``choices[i].token_ids``: the completion's ids (EOS included when the model ended the turn);
* ``choices[i].logprobs.content[j].logprob`` (+ ``top_logprobs`` when asked) when ``logprobs`` is true.

``tokenizer.decode(token_ids, skip_special_tokens=True)`` reproduces ``message.content`` unless a tool call
was parsed out of it or a ``stop`` string cut it. Tools are rendered into the prompt by the chat template
(or as a Hermes-style tool list when the template has no tool support) and ``<tool_call>`` blocks in the
output come back as OpenAI ``tool_calls``. ``temperature: 0`` is greedy and deterministic. The ``model``
field of a request is accepted as given (one model per server).
"""

from __future__ import annotations

import json
import time
import uuid
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from agentgym.serve.batcher import DynamicBatcher
from agentgym.serve.model import Generation, LoadedModel, SamplingParams
from agentgym.toolcall_parser import parse_tool_calls


class ChatRequest(BaseModel):
    """The accepted subset of OpenAI's chat-completions request (unknown fields are ignored)."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[dict[str, Any]] = Field(min_length=1)
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    seed: int | None = None
    stop: str | list[str] | None = None
    n: int = Field(1, ge=1, le=16)
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=20)
    ignore_eos: bool = False  # vLLM's extension: keep decoding past EOS up to max_tokens
    return_token_ids: bool = True  # accepted for vLLM compatibility; token ids are always returned


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


def create_app(model: LoadedModel, *, served_name: str | None = None, max_batch: int = 16,
               default_max_tokens: int = 256, threads: int = 1) -> FastAPI:
    """An app serving ``model``; its batcher starts and stops with the app's lifespan."""
    batcher = DynamicBatcher(model, max_batch=max_batch, threads=threads)
    name = served_name or model.name
    context = int(getattr(model.model.config, "max_position_embeddings", 0) or 2048)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
        await batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(title="agentgym policy server", lifespan=lifespan)
    app.state.batcher = batcher

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        return _error(400, f"invalid request: {problems}")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": name, "object": "model", "created": 0,
                                            "owned_by": "agentgym", "max_model_len": context}]}

    @app.post("/v1/chat/completions")
    async def chat(req: ChatRequest) -> Any:
        if any(not isinstance(m.get("role"), str) for m in req.messages):
            return _error(400, "every message needs a string 'role'")
        try:
            prompt = model.render(req.messages, req.tools if req.tool_choice != "none" else None)
        except Exception as exc:  # template errors are the request's fault (roles, content shapes)
            return _error(400, f"cannot render the conversation with the chat template: {exc}")
        room = context - len(prompt)
        if room <= 0:
            return _error(400, f"prompt is {len(prompt)} tokens; the model's context is {context}")
        max_tokens = min(req.max_completion_tokens or req.max_tokens or default_max_tokens, room)
        stop = [req.stop] if isinstance(req.stop, str) else list(req.stop or [])
        top = (req.top_logprobs or 0) if req.logprobs else 0
        params = [SamplingParams(max_tokens=max_tokens, temperature=req.temperature, top_p=req.top_p,
                                 seed=None if req.seed is None else req.seed + i, stop=stop, top_logprobs=top,
                                 ignore_eos=req.ignore_eos)
                  for i in range(req.n)]
        gens = await batcher.submit(prompt, params)
        choices = [_choice(model, i, g, req) for i, g in enumerate(gens)]
        completion_tokens = sum(len(g.token_ids) for g in gens)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": req.model or name, "choices": choices, "prompt_token_ids": prompt,
            "usage": {"prompt_tokens": len(prompt), "completion_tokens": completion_tokens,
                      "total_tokens": len(prompt) + completion_tokens},
        }

    return app


def _choice(model: LoadedModel, index: int, g: Generation, req: ChatRequest) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": g.text}
    finish = g.finish_reason
    if req.tools and req.tool_choice != "none":
        content, calls = parse_tool_calls(g.text)
        # a call that does not parse stays in the text, where the client's parser reports it to the model
        if calls and not any(c.parse_error for c in calls):
            message["content"] = content or None
            message["tool_calls"] = [
                {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                 "function": {"name": c.name, "arguments": json.dumps(c.arguments)}} for c in calls]
            finish = "tool_calls"
    logprobs = None
    if req.logprobs:
        tok = model.tokenizer
        content_lp = []
        for j, (tid, lp) in enumerate(zip(g.token_ids, g.logprobs)):
            text = tok.decode([tid])
            item: dict[str, Any] = {"token": text, "logprob": lp, "bytes": list(text.encode()), "top_logprobs": []}
            if g.top_logprobs:
                item["top_logprobs"] = [{"token": tok.decode([t]), "logprob": v,
                                         "bytes": list(tok.decode([t]).encode())} for t, v in g.top_logprobs[j]]
            content_lp.append(item)
        logprobs = {"content": content_lp}
    return {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish,
            "token_ids": g.token_ids}
