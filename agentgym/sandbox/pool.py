"""A warm pool of tool servers, shared by the process and docker backends.

A *host* is one running tool server (a subprocess or a container). Trusted worlds share a host, up to
``sessions_per_host`` at a time; worlds that run task-supplied code get an *exclusive* host, which is reset
(its stray processes killed, its work dir wiped) before the next episode uses it. Idle hosts are started
ahead in the background so handing one out costs one HTTP round trip; a host that fails its health check
or whose session broke is stopped and replaced.
"""

from __future__ import annotations

import abc
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from agentgym.errors import SandboxError
from agentgym.sandbox.base import Sandbox, SandboxSession
from agentgym.sandbox.client import RemoteSession, ServerClient, forget
from agentgym.world import WorldSpec, resolve


def runs_task_code(spec: WorldSpec) -> bool:
    """Whether a world executes code that came with the task (so it must not share a server)."""
    if "codes" in spec.config:
        return True
    try:
        factory = resolve(spec.factory)
    except Exception:  # noqa: BLE001 - unknown here means untrusted; the server reports the real error
        return True
    from agentgym.source_world import SourceWorld

    if isinstance(factory, type):
        return issubclass(factory, SourceWorld) or bool(getattr(factory, "untrusted", False))
    return bool(getattr(factory, "untrusted", False))


@dataclass(eq=False)
class Host:
    """One running tool server. Backends subclass it with how to stop it."""

    socket_path: str
    exclusive: bool
    client: ServerClient = field(init=False)
    sessions: int = 0
    dead: bool = False

    def __post_init__(self) -> None:
        self.client = ServerClient(self.socket_path)

    def healthy(self) -> bool:
        try:
            return bool(self.client.request("GET", "/health", timeout=5).get("ok"))
        except SandboxError:
            return False

    def stop(self) -> None:
        self.client.close()
        forget(self.socket_path)


class PooledSandbox(Sandbox):
    """A backend whose worlds live in pooled tool servers. Subclasses implement ``start_host``."""

    def __init__(self, call_timeout: float = 10.0, *, pool_size: int = 2, sessions_per_host: int = 16,
                 limits: dict[str, Any] | None = None):
        super().__init__(call_timeout)
        self.pool_size, self.sessions_per_host = pool_size, max(1, sessions_per_host)
        self.limits = dict(limits or {})
        self.hosts: list[Host] = []
        self._lock = threading.Lock()
        self._recycled = threading.Condition(self._lock)
        self._recycling: dict[bool, int] = {False: 0, True: 0}
        self._starting: dict[bool, int] = {False: 0, True: 0}
        self._wanted: set[bool] = set()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix=f"agentgym-{self.name}-pool")
        self._closed = False
        #: world modules seen so far; servers started from now on import them before the first fork
        self.preload: set[str] = set()

    # ------------------------------------------------------------------ backend hooks
    @abc.abstractmethod
    def start_host(self, exclusive: bool) -> Host:
        """Start a tool server and return once it answers ``/health``."""

    def stop_host(self, host: Host) -> None:
        host.dead = True
        host.stop()

    def only_server_left(self, host: Host) -> bool:
        """Checked from outside after a reset: the server is the host's only process. Tools may have
        replaced the socket with a server of their own, which would answer ``/reset`` with a lie."""
        return True

    # ------------------------------------------------------------------ pool
    def warm_up(self, n: int | None = None, *, exclusive: bool = False, wait: bool = True) -> None:
        """Start hosts ahead so the next ``open`` finds one ready; keeps ``pool_size`` idle from now on."""
        self._wanted.add(exclusive)
        n = self.pool_size if n is None else n
        futures = [self._schedule(exclusive) for _ in range(max(0, math.ceil(n - self._idle(exclusive))))]
        if wait:
            for f in futures:
                if f is not None:
                    f.result()

    def settle(self, timeout: float = 120.0) -> None:
        """Wait until no server start or reset is under way (benchmarks, tests, orderly shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = any(self._starting.values()) or any(self._recycling.values())
            if not busy:
                return
            time.sleep(0.01)

    def _idle(self, exclusive: bool) -> float:
        """Free capacity in hosts: idle exclusive hosts, or free shared slots / slots per host, plus starts
        under way. Counting free slots makes a filling shared pool grow before it is full."""
        with self._lock:
            live = [h for h in self.hosts if h.exclusive == exclusive and not h.dead]
            if exclusive:
                free = float(sum(1 for h in live if h.sessions == 0))
            else:
                free = sum(self.sessions_per_host - h.sessions for h in live) / self.sessions_per_host
            return free + self._starting[exclusive]

    def _schedule(self, exclusive: bool) -> Any:
        """Start a host in the background; counted as "starting" from now so refills do not overshoot."""
        with self._lock:
            if self._closed:
                return None
            self._starting[exclusive] += 1
        return self._executor.submit(self._add_host, exclusive)

    def _add_host(self, exclusive: bool) -> Host | None:
        try:
            host = None if self._closed else self.start_host(exclusive)
        finally:
            with self._lock:
                self._starting[exclusive] -= 1
        if host is None:
            return None
        with self._lock:
            if not self._closed:
                self.hosts.append(host)
                return host
        self.stop_host(host)
        return None

    def _refill(self) -> None:
        for exclusive in list(self._wanted):
            for _ in range(max(0, math.ceil(self.pool_size - self._idle(exclusive)))):
                self._schedule(exclusive)

    def _take(self, exclusive: bool) -> Host | None:
        with self._lock:
            for h in self.hosts:
                if h.dead or h.exclusive != exclusive:
                    continue
                if (exclusive and h.sessions == 0) or (not exclusive and h.sessions < self.sessions_per_host):
                    h.sessions += 1
                    return h
        return None

    def acquire(self, exclusive: bool) -> Host:
        if self._closed:
            raise SandboxError(f"the {self.name} sandbox is closed")
        self._wanted.add(exclusive)
        for _ in range(100):
            host = self._take(exclusive)
            if host is None:
                with self._recycled:  # a host being reset is the cheapest one to wait for
                    if self._recycling[exclusive]:
                        self._recycled.wait(timeout=5)
                host = self._take(exclusive)
            if host is None:  # nothing free: start one (and the refill more) and wait for it
                future = self._schedule(exclusive)
                self._refill()
                if future is None or future.result() is None:
                    raise SandboxError(f"the {self.name} sandbox is closed")
                continue
            if host.sessions > 1 or host.healthy():
                return host
            self._discard(host)
        raise SandboxError(f"the {self.name} sandbox could not hand out a healthy server")

    def _discard(self, host: Host) -> None:
        with self._lock:
            if host in self.hosts:
                self.hosts.remove(host)
        self.stop_host(host)

    def release(self, host: Host, broken: bool) -> None:
        if host.exclusive and not broken and not self._closed:
            with self._lock:
                self._recycling[True] += 1
            self._executor.submit(self._recycle, host)  # still counted as busy until it is clean
            return
        self._free(host, broken)

    def _recycle(self, host: Host) -> None:
        """Reset an exclusive host for the next episode: the tools' processes and files must be gone."""
        try:
            host.client.request("POST", "/reset", {}, timeout=30)
            clean = self.only_server_left(host)
        except SandboxError:
            clean = False
        self._free(host, broken=not clean)
        with self._recycled:
            self._recycling[True] -= 1
            self._recycled.notify_all()

    def _free(self, host: Host, broken: bool) -> None:
        with self._recycled:
            host.sessions = max(0, host.sessions - 1)
            self._recycled.notify_all()
        if broken or self._closed:
            self._discard(host)
        self._refill()

    # ------------------------------------------------------------------ Sandbox API
    def preload_args(self) -> list[str]:
        return [a for m in sorted(self.preload) for a in ("--preload", m)]

    def open(self, spec: WorldSpec) -> SandboxSession:
        self.preload.add(spec.factory.partition(":")[0])
        exclusive = runs_task_code(spec)
        host = self.acquire(exclusive)
        try:
            body = host.client.request("POST", "/sessions",
                                       {"spec": spec.model_dump(mode="json"), "limits": self.limits}, timeout=120)
        except SandboxError:
            self.release(host, broken=not host.healthy())
            raise
        self._refill()
        return RemoteSession(host.client, body["session"], body["tools"], self.call_timeout,
                             on_close=lambda _s, broken: self.release(host, broken))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            hosts, self.hosts = list(self.hosts), []
        self._executor.shutdown(wait=True, cancel_futures=True)
        threads = [threading.Thread(target=self.stop_host, args=(h,)) for h in hosts]
        try:  # in parallel: removing a container takes a daemon round trip each
            for t in threads:
                t.start()
        except RuntimeError:  # at interpreter shutdown no new threads: one by one
            for h, t in zip(hosts, threads, strict=True):
                if not t.is_alive() and t.ident is None:
                    self.stop_host(h)
        for t in threads:
            if t.ident is not None:
                t.join()
