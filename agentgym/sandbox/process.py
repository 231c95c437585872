"""Process backend: the tool server as a subprocess, under bubblewrap when ``bwrap`` exists.

Under bubblewrap the server gets its own PID, network, IPC and UTS namespaces (no network at all), sees
only read-only binds of the Python installation and agentgym's source, a private ``/tmp`` and one
writable directory for its socket, and starts with an empty environment. Started as root it switches to
``nobody`` so the process limit applies. Without bubblewrap only the rlimits protect the host: use the
docker backend for untrusted code there.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentgym.errors import SandboxError
from agentgym.sandbox.base import SandboxSession
from agentgym.sandbox.pool import Host, PooledSandbox, runs_task_code
from agentgym.world import WorldSpec

#: per-world rlimits (see ``server._apply_limits``); override with ``ProcessSandbox(limits=...)``
DEFAULT_LIMITS: dict[str, Any] = {"address_space_mb": 2048, "cpu_s": 600, "processes": 256,
                                  "open_files": 256, "file_size_mb": 64}
NOBODY = 65534


class SandboxWarning(UserWarning):
    """The sandbox is weaker than the code it runs calls for."""


@dataclass(eq=False)
class ProcessHost(Host):
    proc: subprocess.Popen[bytes] | None = None
    tmpdir: str = ""
    lifeline: int = -1  # our end of the pipe the server watches: closing it (or dying) stops the server

    def stop(self) -> None:
        super().stop()
        if self.lifeline >= 0:
            os.close(self.lifeline)
            self.lifeline = -1
        if self.proc is not None and self.proc.poll() is None:
            # the server runs in its own session under bubblewrap: kill it by pid, then bwrap's group
            for pid in [*descendants(self.proc.pid), self.proc.pid]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, read from the host's /proc (which the sandbox cannot fake)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                kids = [int(k) for k in Path(f"/proc/{p}/task/{t}/children").read_text().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def _python_roots() -> list[str]:
    """Folders the server's interpreter reads: the Python install, the venv and agentgym's source."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    for name in ("agentgym", "agentgym.envs", "agentgym.tasks", "agentgym.evaluators"):
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            continue
        for loc in (spec.submodule_search_locations or []) if spec else []:
            paths.add(str(Path(loc).resolve().parent))
    roots: list[str] = []
    for p in sorted({os.path.realpath(p) for p in paths}, key=len):
        if p.startswith("/usr/") or p == "/usr" or any(p == r or p.startswith(r + "/") for r in roots):
            continue
        roots.append(p)
    return roots


def bwrap_command(sock_dir: str, server_args: list[str]) -> list[str]:
    """The bubblewrap command line that runs the tool server with nothing but what it needs."""
    root = os.geteuid() == 0
    cmd = ["bwrap"]
    if root:  # no user namespace, so the server can drop to nobody (and RLIMIT_NPROC then applies)
        cmd += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-all"]
    cmd += ["--die-with-parent", "--new-session", "--as-pid-1", "--clearenv",
            "--ro-bind", "/usr", "/usr"]
    for link in ("lib", "lib64", "bin", "sbin"):
        target = f"/{link}"
        if os.path.islink(target):
            cmd += ["--symlink", os.readlink(target), target]
        elif os.path.isdir(target):
            cmd += ["--ro-bind", target, target]
    for extra in ("/etc/ld.so.cache", "/etc/localtime"):
        cmd += ["--ro-bind-try", extra, extra]
    # the private /tmp comes first, so an install that lives under /tmp (a CI checkout) is bound on top of it
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    roots = _python_roots()
    parents = sorted({str(a) for r in roots for a in Path(r).parents if str(a) not in ("/", "/tmp")}, key=len)
    for d in parents:  # bubblewrap would make them 0700, unreadable once the server drops to nobody
        cmd += ["--perms", "0755", "--dir", d]
    for r in roots:
        cmd += ["--ro-bind", r, r]
    cmd += ["--bind", sock_dir, "/sock", "--chdir", "/tmp",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "AGENTGYM_WORK_ROOT", "/tmp/work",
            sys.executable, "-m", "agentgym.sandbox.server", "--socket", "/sock/server.sock", *server_args]
    if root:
        cmd += ["--drop-to", str(NOBODY)]
    return cmd


def _server_preexec() -> None:
    """In the child before exec: no core dumps, bounded files, and (bwrap itself) die with us."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class ProcessSandbox(PooledSandbox):
    """Tool servers as local subprocesses. ``use_bwrap=None`` uses bubblewrap when it is installed."""

    name = "process"

    def __init__(self, call_timeout: float = 10.0, *, pool_size: int = 1, sessions_per_host: int = 16,
                 limits: dict[str, Any] | None = None, use_bwrap: bool | None = None,
                 start_timeout: float = 30.0):
        super().__init__(call_timeout, pool_size=pool_size, sessions_per_host=sessions_per_host,
                         limits={**DEFAULT_LIMITS, **(limits or {})})
        self.use_bwrap = shutil.which("bwrap") is not None if use_bwrap is None else use_bwrap
        if self.use_bwrap and shutil.which("bwrap") is None:
            raise SandboxError("use_bwrap=True but `bwrap` is not installed; apt-get install bubblewrap")
        self.start_timeout = start_timeout

    def open(self, spec: WorldSpec) -> SandboxSession:
        if not self.use_bwrap and runs_task_code(spec):
            warnings.warn("running task-supplied tool code in the process sandbox without bubblewrap: only "
                          "rlimits protect this machine; install bubblewrap or use --sandbox docker",
                          SandboxWarning, stacklevel=2)
        return super().open(spec)

    def only_server_left(self, host: Host) -> bool:
        proc = host.proc  # type: ignore[attr-defined]
        if proc is None or proc.poll() is not None:
            return False
        # under bubblewrap the server is bwrap's only child; without it, the server itself has no children
        return len(descendants(proc.pid)) == (1 if self.use_bwrap else 0)

    def start_host(self, exclusive: bool) -> Host:
        tmpdir = tempfile.mkdtemp(prefix="agentgym-sbx-")
        os.chmod(tmpdir, 0o777)  # the server may run as nobody
        life_r, life_w = os.pipe()
        args = (["--exclusive"] if exclusive else []) + self.preload_args() + ["--lifeline", str(life_r)]
        if self.use_bwrap:
            sock_dir = os.path.join(tmpdir, "sock")
            os.mkdir(sock_dir)
            os.chmod(sock_dir, 0o777)
            cmd, env = bwrap_command(sock_dir, [*args, "--scratch", "/tmp", "--scratch", "/dev/shm"]), None
            socket_path = os.path.join(sock_dir, "server.sock")
        else:
            socket_path = os.path.join(tmpdir, "server.sock")
            cmd = [sys.executable, "-m", "agentgym.sandbox.server", "--socket", socket_path, *args]
            env = {"PATH": "/usr/bin:/bin", "HOME": tmpdir, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
                   "AGENTGYM_WORK_ROOT": os.path.join(tmpdir, "work")}
        log = open(os.path.join(tmpdir, "server.log"), "wb")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                cwd=tmpdir, start_new_session=True, preexec_fn=_server_preexec, pass_fds=(life_r,))
        log.close()
        os.close(life_r)
        host = ProcessHost(socket_path=socket_path, exclusive=exclusive, proc=proc, tmpdir=tmpdir, lifeline=life_w)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                text = Path(tmpdir, "server.log").read_text(errors="replace")[-2000:]
                host.stop()
                raise SandboxError(f"the process sandbox's tool server exited with {proc.returncode}:\n{text}")
            if os.path.exists(socket_path) and host.healthy():
                return host
            time.sleep(0.01)
        host.stop()
        raise SandboxError(f"the process sandbox's tool server did not answer within {self.start_timeout:g} s")
