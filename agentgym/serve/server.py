"""Running the built-in server: in the foreground (the CLI) or in a background thread (tests, notebooks,
RL loops that want a policy server inside their own process).

    from agentgym.serve import start_server
    with start_server() as server:          # SmolLM2-135M-Instruct on 127.0.0.1, a free port
        policy = make_policy("openai-compatible", base_url=server.base_url)
        ...

The model is cached per process, so starting a second server (or restarting) does not reload it.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import uvicorn

from agentgym.errors import InfrastructureError
from agentgym.serve.app import create_app
from agentgym.serve.model import load_model


class ServerHandle:
    """A server running in a daemon thread. ``base_url`` ends in ``/v1``; ``stop()`` shuts it down."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, host: str, port: int, model_name: str):
        self._server, self._thread = server, thread
        self.host, self.port, self.model_name = host, port, model_name

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def batch_sizes(self) -> list[int]:
        """Sizes of the batches the dynamic batcher has run so far."""
        return self._server.config.app.state.batcher.batch_sizes

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def start_server(model: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 served_name: str | None = None, max_batch: int = 16, device: str = "cpu", threads: int = 1,
                 dtype: str = "float32", startup_timeout_s: float = 300.0) -> ServerHandle:
    """Load ``model`` (default SmolLM2) and serve it from a background thread; returns once it answers.

    ``port=0`` picks a free port. The server binds ``host`` (loopback unless you say otherwise).
    ``threads`` is torch's intra-op thread count for decoding (1 is best on a shared CPU); ``dtype`` is
    float32 (default: exact logprobs for RL) or bfloat16 (faster on CPUs with AMX)."""
    loaded = load_model(model, device=device, dtype=dtype)
    app = create_app(loaded, served_name=served_name, max_batch=max_batch, threads=threads)
    port = port or _free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"agentgym-serve-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive():
            raise InfrastructureError(f"the policy server on {host}:{port} failed to start (port in use?)",
                                      retryable=False)
        if time.monotonic() > deadline:
            server.should_exit = True
            raise InfrastructureError(f"the policy server on {host}:{port} did not start in {startup_timeout_s}s")
        time.sleep(0.05)
    return ServerHandle(server, thread, host, port, served_name or loaded.name)


def serve_forever(model: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 8000,
                  served_name: str | None = None, max_batch: int = 16, device: str = "cpu",
                  threads: int = 1, dtype: str = "float32") -> None:
    """Serve in the foreground until interrupted (what ``agentgym serve --engine transformers`` runs)."""
    loaded = load_model(model, device=device, dtype=dtype)
    app = create_app(loaded, served_name=served_name, max_batch=max_batch, threads=threads)
    uvicorn.run(app, host=host, port=port, log_level="info")
