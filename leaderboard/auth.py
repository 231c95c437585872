"""API tokens and per-token rate limiting.

Tokens are random 256-bit strings shown once at creation; the database keeps only their sha256, which is
enough for lookup (tokens are high-entropy, so a slow password hash would add nothing but latency).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque

TOKEN_PREFIX = "agl_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RateLimiter:
    """At most ``limit`` requests per ``window_s`` seconds per key (a sliding window, in memory).

    It protects the server's CPU (verification re-scores every trajectory), so it counts every upload
    attempt of an authenticated submitter, accepted or not.
    """

    def __init__(self, limit: int, window_s: float):
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> float | None:
        """Record a request; return ``None`` if allowed, else the seconds until one would be."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.0, hits[0] + self.window_s - now)
            hits.append(now)
            return None


def parse_rate(spec: str) -> tuple[int, float]:
    """``"30/3600"`` or ``"30/hour"`` → (30, 3600.0)."""
    count, _, per = spec.partition("/")
    units = {"second": 1.0, "s": 1.0, "minute": 60.0, "min": 60.0, "hour": 3600.0, "h": 3600.0,
             "day": 86400.0}
    try:
        n = int(count)
        window = units[per] if per in units else float(per or 60)
    except (ValueError, KeyError):
        raise ValueError(f"rate limit {spec!r} is not N/SECONDS or N/minute|hour|day") from None
    if n < 1 or window <= 0:
        raise ValueError(f"rate limit {spec!r} must allow at least one request per positive window")
    return n, window
