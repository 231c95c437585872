"""The tool server: hosts env worlds and answers JSON over HTTP on a Unix domain socket.

Every non-local backend runs this same program; backends only decide *where* (a bubblewrap'd subprocess,
a container). Layout inside one server:

* the **supervisor** (this process) speaks HTTP and owns the sessions;
* each session's world lives in its own **worker**, a child forked from the supervisor after the heavy
  imports are done (so a session starts in a few ms), talking over a socketpair. A worker runs the tool
  code, so it gets rlimits (address space, CPU seconds, processes, files) and can be killed on its own
  without touching the other sessions.

A call past its deadline gets the worker killed with every process it started (a tool cannot be
stopped halfway safely, and its children may be a fork bomb); the world is rebuilt from its last
checkpoint (the initial state, or the last restore/reset) and the model sees a ``timeout`` tool error. A
worker that dies (the OOM killer, a segfault, a tool that killed itself) becomes a ``sandbox`` tool error
and is rebuilt the same way.

Run as ``python -m agentgym.sandbox.server --socket PATH``. Run as PID 1 (a container, or bubblewrap's
``--as-pid-1``), the supervisor cannot be killed by the tools it hosts and reaps orphans.

Endpoints (JSON bodies): ``GET /health``; ``POST /sessions`` {spec, limits} → {session, tools};
``POST /sessions/<id>/call`` {call, timeout} → ToolResult; ``GET /sessions/<id>/snapshot``;
``POST /sessions/<id>/restore`` {state}; ``POST /sessions/<id>/reset``; ``DELETE /sessions/<id>``;
``POST /reset`` (drop every session and stray process: state reset between pooled episodes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any

WORK_ROOT = os.environ.get("AGENTGYM_WORK_ROOT", "/tmp/agentgym-work")
_HEADER = struct.Struct("!I")


# ---------------------------------------------------------------------------------------------- framing
def send_msg(sock: socket.socket, obj: Any) -> None:
    data = json.dumps(obj, separators=(",", ":"), default=str).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def recv_msg(sock: socket.socket) -> Any:
    head = _recv_exact(sock, _HEADER.size)
    return json.loads(_recv_exact(sock, _HEADER.unpack(head)[0]))


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("peer closed")
        buf += chunk
    return bytes(buf)


# ---------------------------------------------------------------------------------------------- worker
def _apply_limits(limits: dict[str, Any]) -> None:
    table = {"address_space_mb": (resource.RLIMIT_AS, 1 << 20), "cpu_s": (resource.RLIMIT_CPU, 1),
             "processes": (resource.RLIMIT_NPROC, 1), "open_files": (resource.RLIMIT_NOFILE, 1),
             "file_size_mb": (resource.RLIMIT_FSIZE, 1 << 20)}
    for key, (which, unit) in table.items():
        if limits.get(key):
            value = int(limits[key]) * unit
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value if which != resource.RLIMIT_CPU else value + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _worker_main(sock: socket.socket, spec: dict[str, Any], checkpoint: Any, limits: dict[str, Any],
                 workdir: str) -> None:
    """The body of a forked worker: build the world, then answer requests until the socket closes."""
    from agentgym.types import ToolCall, ToolResult
    from agentgym.world import WorldSpec, build_world

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.chdir(workdir)
    try:
        world = build_world(WorldSpec.model_validate(spec))
        if checkpoint is not None:
            world.restore(checkpoint)
    except BaseException as exc:  # noqa: BLE001 - reported to the supervisor, which reports to the client
        send_msg(sock, {"error": f"could not build world {spec.get('factory')!r}: {type(exc).__name__}: {exc}"})
        return
    _apply_limits(limits)  # after the build: the tools are what is untrusted
    send_msg(sock, {"tools": [s.model_dump() for s in world.tool_specs()]})
    while True:
        try:
            req = recv_msg(sock)
        except (EOFError, OSError):
            return
        op = req["op"]
        if op == "call":
            call = ToolCall.model_validate(req["call"])
            try:
                result = world.call(call)
            except MemoryError:
                result = ToolResult(call_id=call.id, name=call.name, error="sandbox",
                                    content=f"tool '{call.name}' exceeded the sandbox memory limit")
            except BaseException as exc:  # noqa: BLE001 - sys.exit() and friends in tool code end the call only
                result = ToolResult(call_id=call.id, name=call.name, error="tool_error",
                                    content=f"{type(exc).__name__}: {exc}")
            if result.error == "tool_error" and result.content.startswith("MemoryError"):
                result = ToolResult(call_id=call.id, name=call.name, error="sandbox",
                                    content=f"tool '{call.name}' exceeded the sandbox memory limit")
            reply: Any = result.model_dump()
        elif op == "snapshot":
            reply = {"state": world.snapshot()}
        elif op == "restore":
            world.restore(req["state"])
            reply = {"ok": True}
        elif op == "reset":
            world.reset()
            reply = {"ok": True}
        else:
            reply = {"error": f"unknown op {op!r}"}
        try:
            send_msg(sock, reply)
        except (TypeError, ValueError) as exc:  # a tool left state that is not JSON
            send_msg(sock, {"error": f"reply is not JSON-serialisable: {exc}"})


# ---------------------------------------------------------------------------------------------- sessions
class SessionError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Session:
    """The supervisor's handle on one worker, able to rebuild it from the last checkpoint."""

    def __init__(self, server: Supervisor, spec: dict[str, Any], limits: dict[str, Any]):
        self.id = uuid.uuid4().hex[:12]
        self.server, self.spec, self.limits = server, spec, limits
        self.checkpoint: Any = None  # None = the spec's initial state
        self.lock = threading.Lock()
        self.workdir = os.path.join(WORK_ROOT, self.id)
        self.pid = 0
        self.sock: socket.socket | None = None
        self.tools: list[dict[str, Any]] = []
        self._spawn()

    def _spawn(self) -> None:
        os.makedirs(self.workdir, exist_ok=True)
        parent, child = socket.socketpair()
        with self.server.fork_lock:
            pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                parent.close()
                os.setpgid(0, 0)
                _worker_main(child, self.spec, self.checkpoint, self.limits, self.workdir)
            except BaseException:  # noqa: BLE001 - a worker never returns into the server's code
                code = 1
            finally:
                os._exit(code)
        child.close()
        self.pid, self.sock = pid, parent
        parent.settimeout(self.server.load_timeout)
        try:
            hello = recv_msg(parent)
        except (EOFError, OSError, socket.timeout) as exc:
            self.kill()
            raise SessionError(500, f"the world's worker failed to start: {exc}") from None
        if "error" in hello:
            self.kill()
            raise SessionError(400, hello["error"])
        self.tools = hello["tools"]

    def kill(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.pid:
            for target in (-self.pid, self.pid):
                try:
                    os.kill(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = 0

    def request(self, req: dict[str, Any], timeout: float) -> Any:
        with self.lock:
            if self.sock is None:
                raise SessionError(410, "session is closed")
            self.sock.settimeout(timeout)
            try:
                send_msg(self.sock, req)
                return recv_msg(self.sock)
            except socket.timeout:
                self.restart()
                return {"__restart__": "timeout"}
            except (EOFError, OSError):
                self.restart()
                return {"__restart__": "died"}

    def restart(self) -> None:
        self.kill()
        if self.server.exclusive:
            self.server.kill_strays()
        self._spawn()

    def call(self, call: dict[str, Any], timeout: float) -> dict[str, Any]:
        reply = self.request({"op": "call", "call": call}, timeout)
        why = reply.get("__restart__") if isinstance(reply, dict) else None
        name = call.get("name", "")
        if why == "timeout":
            return {"call_id": call.get("id", ""), "name": name, "error": "timeout",
                    "content": f"tool '{name}' timed out after {timeout:g} s and was killed; the world was "
                               f"restarted from its last checkpoint"}
        if why == "died":
            return {"call_id": call.get("id", ""), "name": name, "error": "sandbox",
                    "content": f"tool '{name}' crashed its sandbox process (killed, out of memory or exited); "
                               f"the world was restarted from its last checkpoint"}
        return reply

    def op(self, op: str, **kw: Any) -> Any:
        reply = self.request({"op": op, **kw}, self.server.load_timeout)
        if isinstance(reply, dict) and "__restart__" in reply:
            raise SessionError(500, f"the world's worker stopped during {op}; it was restarted")
        if isinstance(reply, dict) and "error" in reply and len(reply) == 1:
            raise SessionError(500, reply["error"])
        if op in ("restore", "reset"):
            self.checkpoint = kw.get("state") if op == "restore" else None
        return reply

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


class Supervisor:
    """Owns the sessions of one server. ``exclusive`` servers host untrusted code, one session at a time."""

    def __init__(self, *, exclusive: bool, pid1: bool, scratch: list[str] | None = None,
                 load_timeout: float = 60.0):
        self.sessions: dict[str, Session] = {}
        self.lock = threading.Lock()
        self.fork_lock = threading.Lock()
        self.exclusive, self.pid1, self.load_timeout = exclusive, pid1, load_timeout
        self.scratch = list(scratch or [])  # the sandbox's own writable dirs, emptied on reset
        self.started = time.time()

    def open(self, spec: dict[str, Any], limits: dict[str, Any]) -> Session:
        module = str(spec.get("factory", "")).partition(":")[0]
        if module and module not in sys.modules:
            try:  # import the env's world module once here, so every later fork starts with it loaded
                __import__(module)
            except Exception:  # noqa: BLE001, S110 - the worker reports the real error with context
                pass
        session = Session(self, spec, limits)
        with self.lock:
            self.sessions[session.id] = session
        return session

    def get(self, sid: str) -> Session:
        try:
            return self.sessions[sid]
        except KeyError:
            raise SessionError(404, f"no session {sid!r}") from None

    def close(self, sid: str) -> None:
        with self.lock:
            session = self.sessions.pop(sid, None)
        if session is not None:
            session.close()
        if self.exclusive and not self.sessions:
            self.kill_strays()

    def reset(self) -> None:
        with self.lock:
            sessions, self.sessions = list(self.sessions.values()), {}
        for s in sessions:
            s.close()
        self.kill_strays()
        for folder in self.scratch:
            for entry in os.listdir(folder) if os.path.isdir(folder) else []:
                path = os.path.join(folder, entry)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
        shutil.rmtree(WORK_ROOT, ignore_errors=True)
        os.makedirs(WORK_ROOT, exist_ok=True)

    def kill_strays(self) -> None:
        """Kill every process but this one: what tools left behind (daemons, fork bombs).

        Only inside a PID namespace (container, bubblewrap), where "every process" means the sandbox's own.
        """
        if not self.pid1:
            return
        live = {s.pid for s in self.sessions.values()}
        for _ in range(50):
            others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())
                      and int(p) not in live]
            if not others:
                return
            for p in others:
                try:
                    os.kill(p, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.01)

    def health(self) -> dict[str, Any]:
        return {"ok": True, "pid": os.getpid(), "sessions": len(self.sessions), "exclusive": self.exclusive,
                "uptime_s": round(time.time() - self.started, 3)}


# ---------------------------------------------------------------------------------------------- HTTP
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _UnixHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def address_string(self) -> str:
        return "unix"

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body, separators=(",", ":"), default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n)) if n else {}

    def _dispatch(self, method: str) -> None:
        sup = self.server.supervisor
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        try:
            body = self._body() if method != "GET" else {}
            if parts == ["health"]:
                return self._reply(200, sup.health())
            if parts == ["reset"] and method == "POST":
                sup.reset()
                return self._reply(200, {"ok": True})
            if parts == ["sessions"] and method == "POST":
                s = sup.open(body["spec"], body.get("limits") or {})
                return self._reply(200, {"session": s.id, "tools": s.tools})
            if len(parts) >= 2 and parts[0] == "sessions":
                sid = parts[1]
                if len(parts) == 2 and method == "DELETE":
                    sup.close(sid)
                    return self._reply(200, {"ok": True})
                s = sup.get(sid)
                action = parts[2] if len(parts) == 3 else ""
                if action == "call" and method == "POST":
                    return self._reply(200, s.call(body["call"], float(body.get("timeout") or 10.0)))
                if action == "snapshot":
                    return self._reply(200, s.op("snapshot"))
                if action == "restore" and method == "POST":
                    return self._reply(200, s.op("restore", state=body["state"]))
                if action == "reset" and method == "POST":
                    return self._reply(200, s.op("reset"))
            return self._reply(404, {"error": f"no route {method} {self.path}"})
        except SessionError as exc:
            return self._reply(exc.status, {"error": str(exc)})
        except (KeyError, ValueError, TypeError) as exc:
            return self._reply(400, {"error": f"bad request: {type(exc).__name__}: {exc}"})

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 256  # socketserver's default of 5 refuses bursts of sessions connecting at once
    supervisor: Supervisor


def _reap_orphans() -> None:
    """As PID 1, collect the exit status of every orphan the tools leave, so none stays a zombie."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            time.sleep(0.2)


def _preload() -> None:
    """Import what every world needs before the first fork, so a session starts in milliseconds."""
    import agentgym.source_world  # noqa: F401
    import agentgym.types  # noqa: F401
    import agentgym.world  # noqa: F401


def _watch_lifeline(fd: int) -> None:
    """Exit when the owner's end of the lifeline pipe closes: the owner is gone, even if it was SIGKILLed.

    (A parent-death signal cannot do this: it is cleared by the switch to nobody, and a namespace's PID 1
    does not reliably receive it.)
    """
    def watch() -> None:
        while True:
            try:
                if not os.read(fd, 1):
                    os._exit(0)
            except InterruptedError:
                continue
            except OSError:
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="lifeline").start()


def _make_undumpable() -> None:
    """Forbid same-user processes (the tools) to ptrace us or read our memory (``PR_SET_DUMPABLE`` 0)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: nothing to harden
        pass


def serve(socket_path: str, *, exclusive: bool = False, drop_to: int | None = None,
          preload: list[str] | None = None, scratch: list[str] | None = None,
          lifeline: int | None = None) -> None:
    if drop_to is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(drop_to)
        os.setuid(drop_to)
    _make_undumpable()
    if lifeline is not None:
        _watch_lifeline(lifeline)
    pid1 = os.getpid() == 1
    if pid1:  # default-action signals from inside the namespace never reach PID 1; make SIGTERM stop us
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    os.makedirs(WORK_ROOT, exist_ok=True)
    _preload()
    for module in preload or []:
        try:
            __import__(module)
        except Exception as exc:  # noqa: BLE001 - the session that needs it reports the error
            print(f"agentgym sandbox: could not preload {module}: {exc}", file=sys.stderr)
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    server = _UnixHTTPServer(socket_path, _Handler)
    os.chmod(socket_path, 0o777)
    server.supervisor = Supervisor(exclusive=exclusive, pid1=pid1, scratch=scratch)
    if pid1:
        threading.Thread(target=_reap_orphans, daemon=True).start()
    server.serve_forever(poll_interval=0.5)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="agentgym tool server (JSON over HTTP on a Unix socket)")
    p.add_argument("--socket", required=True)
    p.add_argument("--exclusive", action="store_true", help="one untrusted session at a time")
    p.add_argument("--drop-to", type=int, default=None, help="uid/gid to switch to when started as root")
    p.add_argument("--preload", action="append", default=[], help="module to import before serving")
    p.add_argument("--scratch", action="append", default=[],
                   help="a writable dir private to this sandbox, emptied between exclusive sessions")
    p.add_argument("--lifeline", type=int, default=None,
                   help="fd of a pipe whose other end the owner holds; the server exits when it closes")
    a = p.parse_args(argv)
    serve(a.socket, exclusive=a.exclusive, drop_to=a.drop_to, preload=a.preload, scratch=a.scratch,
          lifeline=a.lifeline)


if __name__ == "__main__":
    sys.exit(main())
