"""``agentgym serve --engine vllm``: build the ``vllm serve`` command, launch it, wait until healthy.

vLLM returns the same token fields the built-in server does (``prompt_token_ids``, ``choices[i].token_ids``
with ``return_token_ids``), so the openai-compatible policy works unchanged against either.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from agentgym.errors import AgentGymError, InfrastructureError


class EngineUnavailableError(AgentGymError, RuntimeError):
    """The requested engine cannot run here (vLLM not installed, no GPU)."""


def vllm_command(model: str, *, host: str = "127.0.0.1", port: int = 8000, served_name: str | None = None,
                 tool_call_parser: str | None = "hermes", chat_template: str | None = None,
                 max_model_len: int | None = None, extra_args: list[str] | None = None) -> list[str]:
    """The ``vllm serve`` argv. A tool-call parser turns on automatic tool choice (native tool calls)."""
    exe = shutil.which("vllm")
    cmd = [exe] if exe else [sys.executable, "-m", "vllm.entrypoints.cli.main"]
    cmd += ["serve", model, "--host", host, "--port", str(port)]
    if served_name:
        cmd += ["--served-model-name", served_name]
    if tool_call_parser:
        cmd += ["--enable-auto-tool-choice", "--tool-call-parser", tool_call_parser]
    if chat_template:
        cmd += ["--chat-template", chat_template]
    if max_model_len:
        cmd += ["--max-model-len", str(max_model_len)]
    return cmd + list(extra_args or [])


def has_gpu() -> bool:
    if shutil.which("nvidia-smi"):
        return subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode == 0
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


def check_vllm() -> None:
    """Raise ``EngineUnavailableError`` saying what is missing and what to use instead."""
    if importlib.util.find_spec("vllm") is None and not shutil.which("vllm"):
        raise EngineUnavailableError("vLLM is not installed (pip install vllm on a machine with a GPU); "
                                     "on a CPU use `agentgym serve --engine transformers`")
    if not has_gpu():
        raise EngineUnavailableError("vLLM needs a CUDA GPU and none was found; "
                                     "use `agentgym serve --engine transformers` on a CPU")


def launch_vllm(cmd: list[str], base_url: str, *, timeout_s: float = 900.0,
                log: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``cmd`` and return once ``/health`` answers 200; the process is killed if it never does."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (lives as long as the process)
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    health = base_url.removesuffix("/v1") + "/health"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise InfrastructureError(f"vllm exited with code {proc.returncode} before becoming healthy"
                                      + (f"; see {log}" if log else ""), retryable=False)
        try:
            if httpx.get(health, timeout=2.0).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(1.0)
    proc.kill()
    raise InfrastructureError(f"vllm did not become healthy within {timeout_s}s", retryable=False)
