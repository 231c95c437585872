"""``agentgym serve --engine transformers`` as a user runs it: a separate process on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def test_cli_serves_the_default_model_on_loopback(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).with_name("agentgym")
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([str(exe), "serve", "--engine", "transformers", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 600
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.5)
        models = httpx.get(base + "/v1/models").json()
        assert models["data"][0]["id"] == "SmolLM2-135M-Instruct"
        r = httpx.post(base + "/v1/chat/completions", timeout=300, json={
            "messages": [{"role": "user", "content": "Hi"}], "temperature": 0, "max_tokens": 3}).json()
        assert len(r["choices"][0]["token_ids"]) == r["usage"]["completion_tokens"] > 0
        assert f"serving on {base}/v1" in (tmp_path / "serve.log").read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
