"""Tokens/s of the built-in CPU server for 1 request vs 8 concurrent requests (dynamic batching), and the
same for vLLM when a GPU and vLLM are present (``--vllm-model``).

    .venv/bin/python benchmarks/serve_throughput.py [--max-tokens 48] [--rounds 2] [--threads 1] [--dtype bfloat16]

Last line: ``single_tok_s=.. batch8_tok_s=.. batch_speedup=..`` (plus ``vllm_*`` keys with a GPU).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

PROMPTS = ["Write a short story about a cat.", "Describe the ocean.", "Explain how rain forms.",
           "Write a poem about autumn.", "Describe a busy city street.", "Tell me about the moon.",
           "Write a recipe for pancakes.", "Describe a mountain hike."]


async def measure(base_url: str, model: str, concurrency: int, max_tokens: int, rounds: int) -> float:
    """Aggregate completion tokens/s with ``concurrency`` requests in flight (every request decodes
    exactly ``max_tokens`` tokens: EOS is ignored through vLLM's ``ignore_eos``, or by a long prompt)."""
    async with httpx.AsyncClient(timeout=1800) as client:
        async def one(i: int) -> int:
            body = {"model": model, "messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
                    "temperature": 0, "max_tokens": max_tokens, "ignore_eos": True}
            r = await client.post(base_url + "/chat/completions", json=body)
            r.raise_for_status()
            return int(r.json()["usage"]["completion_tokens"])

        await one(0)  # warm-up
        tokens, elapsed = 0, 0.0
        for _ in range(rounds):
            started = time.perf_counter()
            tokens += sum(await asyncio.gather(*(one(i) for i in range(concurrency))))
            elapsed += time.perf_counter() - started
        return tokens / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtype", default="float32", help="float32 (the server's default) or bfloat16")
    ap.add_argument("--model", default=None, help="local HF dir or .gguf (default SmolLM2)")
    ap.add_argument("--vllm-model", default=None, help="also benchmark vLLM with this model (needs a GPU)")
    args = ap.parse_args()

    from agentgym.serve import start_server

    figures: dict[str, float] = {}
    with start_server(args.model, threads=args.threads, dtype=args.dtype) as server:
        single = asyncio.run(measure(server.base_url, server.model_name, 1, args.max_tokens, args.rounds))
        batch8 = asyncio.run(measure(server.base_url, server.model_name, 8, args.max_tokens, args.rounds))
        print(f"transformers: 1 request {single:.2f} tok/s, 8 concurrent {batch8:.2f} tok/s; "
              f"batch sizes seen {sorted(set(server.batch_sizes))}")
    figures.update(single_tok_s=single, batch8_tok_s=batch8, batch_speedup=batch8 / single)

    if args.vllm_model:
        from agentgym.serve.vllm import EngineUnavailableError, check_vllm, launch_vllm, vllm_command

        try:
            check_vllm()
        except EngineUnavailableError as exc:
            print(f"vllm skipped: {exc}")
        else:
            cmd = vllm_command(args.vllm_model, port=8011)
            proc = launch_vllm(cmd, "http://127.0.0.1:8011/v1")
            try:
                url = "http://127.0.0.1:8011/v1"
                v1 = asyncio.run(measure(url, args.vllm_model, 1, args.max_tokens, args.rounds))
                v8 = asyncio.run(measure(url, args.vllm_model, 8, args.max_tokens, args.rounds))
                figures.update(vllm_single_tok_s=v1, vllm_batch8_tok_s=v8, vllm_batch_speedup=v8 / v1)
            finally:
                proc.terminate()
                proc.wait(60)
    print(" ".join(f"{k}={v:.2f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
