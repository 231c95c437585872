"""Docker backend: tool servers in containers, started through the docker SDK and kept in a warm pool.

Each container has no network (``network_mode="none"``), a read-only root filesystem, a tmpfs ``/tmp`` as
its only writable place, memory / CPU / pids limits, no capabilities, a non-root user, and its socket in a
bind-mounted host directory. The server runs as the container's PID 1, so the tools cannot kill it.

Containers carry labels naming the process that started them; every ``DockerSandbox`` first removes the
containers of owners that are gone (a crash, a ``kill -9``), and ``close`` (also run at exit and on
Ctrl-C) removes its own.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from agentgym.errors import SandboxError
from agentgym.sandbox.pool import Host, PooledSandbox

IMAGE = os.environ.get("AGENTGYM_SANDBOX_IMAGE", "agentgym-sandbox:latest")
LABEL = "org.agentgym.sandbox.owner"  # "<hostname>:<pid>" of the process that started the container
POOL_LABEL = "org.agentgym.sandbox.pool"  # one DockerSandbox's id
SOCKET_ROOT = os.path.join(tempfile.gettempdir(), "agentgym-docker")
#: per-world rlimits inside the container; processes are bounded by the container's pids limit instead
DEFAULT_LIMITS: dict[str, Any] = {"address_space_mb": 2048, "cpu_s": 600, "open_files": 256, "file_size_mb": 64}


def docker_client() -> Any:
    """A docker SDK client, or ``SandboxError`` saying how to get a daemon."""
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - docker is a core dependency
        raise SandboxError("the docker backend needs the `docker` package: pip install docker") from exc
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable daemon"
        raise SandboxError(
            f"no Docker daemon reachable ({exc}); start one (`bash .ci/provision_docker.sh` provisions it "
            f"offline) or use --sandbox process") from None
    return client


def owner_tag(pid: int | None = None) -> str:
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale(client: Any) -> list[str]:
    """Remove sandbox containers whose owning process (on this host) is gone. Returns their names."""
    host = socket.gethostname()
    removed = []
    # sparse: no per-container inspect, which races with containers other processes are removing
    for c in client.containers.list(all=True, sparse=True, filters={"label": LABEL}):
        owner = (c.attrs.get("Labels") or {}).get(LABEL, "")
        name, _, pid = owner.rpartition(":")
        if name != host or (pid.isdigit() and _pid_alive(int(pid))):
            continue
        cname = (c.attrs.get("Names") or [c.id])[0].lstrip("/")
        try:
            client.api.remove_container(c.id, force=True)
            removed.append(cname)
        except Exception:  # noqa: BLE001, S110 - already gone
            pass
        shutil.rmtree(os.path.join(SOCKET_ROOT, cname), ignore_errors=True)
    return removed


@dataclass(eq=False)
class DockerHost(Host):
    container: Any = None
    sock_dir: str = ""

    def stop(self) -> None:
        super().stop()
        if self.container is not None:
            try:
                self.container.remove(force=True)
            except Exception:  # noqa: BLE001, S110 - already gone
                pass
        shutil.rmtree(self.sock_dir, ignore_errors=True)


_live: weakref.WeakSet[DockerSandbox] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for sb in list(_live):
        sb.close()


class DockerSandbox(PooledSandbox):
    """Tool servers in containers. Trusted worlds share a container (``sessions_per_host``); worlds that
    run task code get one each, reset before reuse."""

    name = "docker"

    def __init__(self, call_timeout: float = 10.0, *, image: str = IMAGE, pool_size: int = 2,
                 sessions_per_host: int = 16, limits: dict[str, Any] | None = None, mem_limit: str = "1g",
                 cpus: float = 1.0, pids_limit: int = 128, tmpfs_size: str = "256m",
                 start_timeout: float = 60.0):
        super().__init__(call_timeout, pool_size=pool_size, sessions_per_host=sessions_per_host,
                         limits={**DEFAULT_LIMITS, **(limits or {})})
        self.client = docker_client()
        try:
            self.client.images.get(image)
        except Exception:  # noqa: BLE001 - docker.errors.ImageNotFound and friends
            raise SandboxError(f"sandbox image {image!r} not found; build it with `agentgym sandbox build` "
                               f"(offline: `bash .ci/provision_docker.sh`)") from None
        self.image, self.mem_limit, self.cpus, self.pids_limit = image, mem_limit, cpus, pids_limit
        self.tmpfs_size, self.start_timeout = tmpfs_size, start_timeout
        self.owner, self.pool_id = owner_tag(), uuid.uuid4().hex[:12]
        self.reaped = reap_stale(self.client)
        os.makedirs(SOCKET_ROOT, exist_ok=True)
        _live.add(self)

    def start_host(self, exclusive: bool) -> Host:
        name = f"agentgym-sbx-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        sock_dir = os.path.join(SOCKET_ROOT, name)
        os.makedirs(sock_dir)
        os.chmod(sock_dir, 0o777)  # the container's non-root user creates the socket here
        command = ["--socket", "/sock/server.sock"] + (["--exclusive"] if exclusive else []) + self.preload_args() \
            + ["--scratch", "/tmp", "--scratch", "/dev/shm"]
        try:
            container = self.client.containers.run(
                self.image, command=command, name=name, detach=True, labels={LABEL: self.owner, POOL_LABEL: self.pool_id},
                network_mode="none", read_only=True, user="10001:10001", cap_drop=["ALL"],
                security_opt=["no-new-privileges"], mem_limit=self.mem_limit, memswap_limit=self.mem_limit,
                nano_cpus=int(self.cpus * 1e9), pids_limit=self.pids_limit,
                tmpfs={"/tmp": f"rw,nosuid,nodev,size={self.tmpfs_size},mode=1777"},
                volumes={sock_dir: {"bind": "/sock", "mode": "rw"}}, environment={"AGENTGYM_WORK_ROOT": "/tmp/work"})
        except Exception as exc:  # noqa: BLE001
            shutil.rmtree(sock_dir, ignore_errors=True)
            raise SandboxError(f"could not start a sandbox container from {self.image!r}: {exc}") from None
        host = DockerHost(socket_path=os.path.join(sock_dir, "server.sock"), exclusive=exclusive,
                          container=container, sock_dir=sock_dir)
        deadline = time.monotonic() + self.start_timeout
        next_check = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            if os.path.exists(host.socket_path) and host.healthy():
                return host
            time.sleep(0.01)
            if time.monotonic() > next_check:  # did it die during start-up? (ask the daemon now and then)
                next_check = time.monotonic() + 0.5
                container.reload()
                if container.status in ("exited", "dead"):
                    logs = container.logs(tail=30).decode(errors="replace")
                    host.stop()
                    raise SandboxError(f"sandbox container {name} exited during start-up:\n{logs}")
        host.stop()
        raise SandboxError(f"sandbox container {name} did not answer within {self.start_timeout:g} s")

    def only_server_left(self, host: Host) -> bool:
        try:
            return len(host.container.top()["Processes"]) == 1  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the container is gone
            return False

    def containers(self) -> list[Any]:
        """This sandbox's containers, as the daemon sees them (one removed meanwhile is skipped)."""
        import docker

        out = []
        for c in self.client.containers.list(all=True, sparse=True,
                                             filters={"label": f"{POOL_LABEL}={self.pool_id}"}):
            try:
                out.append(self.client.containers.get(c.id))
            except docker.errors.NotFound:  # replaced by the pool between the listing and the lookup
                continue
        return out

    def close(self) -> None:
        super().close()
        _live.discard(self)
