"""Retrying provider calls: exponential backoff with jitter, then a typed ``InfrastructureError``.

A provider's 429, 5xx, timeout or garbled response says nothing about the model, so it must never reach the
episode as a model failure: it is retried, and when the budget is spent the run records an infra error and
can retry the episode later.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from agentgym.errors import InfrastructureError

T = TypeVar("T")


class Transient(Exception):
    """Raised inside a retried call for a failure worth retrying (carries the HTTP status when known)."""

    def __init__(self, message: str, status_code: int | None = None):
        self.status_code = status_code
        super().__init__(message)


@dataclass
class RetryPolicy:
    """``max_retries`` retries after the first attempt; the n-th waits ``min(max_s, base_s * 2**n)``
    scaled by a random factor in [0.5, 1.5) so that concurrent episodes do not retry in lockstep."""

    max_retries: int = 4
    base_s: float = 0.5
    max_s: float = 20.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        return min(self.max_s, self.base_s * 2**attempt) * (rng or random).uniform(0.5, 1.5)

    async def run(self, call: Callable[[], Awaitable[T]], what: str) -> tuple[T, int]:
        """Await ``call()`` until it does not raise ``Transient``; returns (result, retries used)."""
        for attempt in range(self.max_retries + 1):
            try:
                return await call(), attempt
            except Transient as exc:
                if attempt == self.max_retries:
                    raise InfrastructureError(
                        f"{what} failed after {attempt + 1} attempts: {exc}", status_code=exc.status_code
                    ) from exc
                await asyncio.sleep(self.delay(attempt))
        raise AssertionError("unreachable")

    def run_sync(self, call: Callable[[], T], what: str) -> tuple[T, int]:
        """The blocking twin of ``run``, for synchronous callers (e.g. ``UserSimulator.respond``)."""
        for attempt in range(self.max_retries + 1):
            try:
                return call(), attempt
            except Transient as exc:
                if attempt == self.max_retries:
                    raise InfrastructureError(
                        f"{what} failed after {attempt + 1} attempts: {exc}", status_code=exc.status_code
                    ) from exc
                time.sleep(self.delay(attempt))
        raise AssertionError("unreachable")
