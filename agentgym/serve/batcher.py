"""Dynamic batching: concurrent requests wait a moment, then share one batched decode.

On a CPU a forward pass over 8 rows costs little more than over 1 (the small matrices leave cores idle and
the weights are read once either way), so grouping concurrent requests multiplies aggregate throughput. One
worker thread owns the model; the event loop only queues rows and hands back results.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from agentgym.serve.model import Generation, LoadedModel, SamplingParams


def _set_threads(n: int) -> None:
    """Intra-op threads for the generate thread. One is the default: on a shared CPU, OpenMP threads that
    spin-wait for a busy core make decoding ~10x slower than a single thread."""
    import torch

    torch.set_num_threads(max(1, n))


@dataclass
class _Row:
    prompt: list[int]
    params: SamplingParams
    future: asyncio.Future[Generation]


class DynamicBatcher:
    """Groups rows that arrive within ``window_s`` of each other (up to ``max_batch`` rows, waiting at most
    ``max_wait_s`` after the first) into one generate."""

    def __init__(self, model: LoadedModel, *, max_batch: int = 16, window_s: float = 0.02,
                 max_wait_s: float = 0.2, threads: int = 1):
        self.model, self.max_batch, self.window_s, self.max_wait_s = model, max_batch, window_s, max_wait_s
        self._queue: asyncio.Queue[_Row] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentgym-generate",
                                            initializer=_set_threads, initargs=(threads,))
        self.batch_sizes: list[int] = []  # observed batch sizes, for tests and benchmarks

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def submit(self, prompt: list[int], params: list[SamplingParams]) -> list[Generation]:
        """Generate one completion per ``params`` entry (``n`` choices share the prompt)."""
        assert self._queue is not None, "batcher not started"
        loop = asyncio.get_running_loop()
        rows = [_Row(prompt, p, loop.create_future()) for p in params]
        for row in rows:
            self._queue.put_nowait(row)
        return list(await asyncio.gather(*(r.future for r in rows)))

    async def _loop(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self.max_wait_s
            while True:  # let concurrent requests join; keep waiting while they are still arriving
                await asyncio.sleep(self.window_s)
                grew = False
                while len(batch) < self.max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                    grew = True
                if not grew or len(batch) >= self.max_batch or loop.time() >= deadline:
                    break
            self.batch_sizes.append(len(batch))
            try:
                results = await loop.run_in_executor(
                    self._executor, self.model.generate, [r.prompt for r in batch], [r.params for r in batch])
            except Exception as exc:  # a failed batch fails its requests, never the server
                for r in batch:
                    if not r.future.done():
                        r.future.set_exception(exc)
                continue
            for r, g in zip(batch, results):
                if not r.future.done():
                    r.future.set_result(g)
