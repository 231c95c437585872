"""Helpers for the leaderboard tests: real calculator runs, bundle tampering, a server subprocess, databases."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from agentgym.env import derive_seed
from agentgym.policies import OraclePolicy
from agentgym.policies.base import Observation, PolicyOutput
from agentgym.testing import missing_service
from agentgym.types import Message

PG_URL = os.environ.get("AGENTGYM_TEST_PG_URL",
                        "postgresql+psycopg://agentgym:agentgym@127.0.0.1:5432/agentgym_test")
AGENTGYM = str(Path(sys.executable).with_name("agentgym"))


class FlakyOraclePolicy(OraclePolicy):
    """The oracle, except that on about a third of (task, sample) pairs it answers a wrong number.

    Its runs have failing episodes, so "drop the failing episodes" is a tampering that would raise the score.
    """

    name = "flaky-oracle"

    def __init__(self) -> None:
        super().__init__()
        self._wrong: set[str] = set()

    async def begin(self, episode_id: str, task: Any, seed: int, env: Any = None) -> None:
        await super().begin(episode_id, task, seed, env)
        if derive_seed("flaky", episode_id) % 3 == 0:
            self._wrong.add(episode_id)

    async def act(self, observation: Observation) -> PolicyOutput:
        out = await super().act(observation)
        if observation.episode_id in self._wrong and not out.message.tool_calls:
            return PolicyOutput(Message.assistant("ANSWER: -12345"))
        return out

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "model": "flaky-oracle"}


def make_run(out: Path, policy: Any, samples: int, seed: int = 0) -> Path:
    """A real run of the calculator test split through the runner's engine."""
    from agentgym.runner.engine import run

    run("calculator", split="test", policy=policy, samples=samples, out=out, seed=seed, quiet=True,
        progress=False, concurrency=4)
    return out


# ------------------------------------------------------------------------------------------ bundles
def unpack(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        info = json.loads(tar.extractfile("submission.json").read())  # type: ignore[union-attr]
        lines = tar.extractfile("trajectories.jsonl").read().decode().splitlines()  # type: ignore[union-attr]
    return info, [json.loads(x) for x in lines if x.strip()]


def repack(info: dict[str, Any], trajectories: list[dict[str, Any]]) -> bytes:
    """Re-pack edited contents the way a careful cheat would: consistent counts and checksums."""
    import hashlib

    from agentgym.leaderboard.bundle import build_bundle

    raw = "".join(json.dumps(t) + "\n" for t in trajectories).encode()
    info = {**info, "n_trajectories": len(trajectories), "trajectories_sha256": hashlib.sha256(raw).hexdigest()}
    return build_bundle(info, raw)


def rescored_claims(trajectories: list[dict[str, Any]], samples: int) -> dict[str, Any]:
    """What a cheat's own harness would write into scores.json for edited trajectories."""
    from agentgym.envs.calculator import CalculatorEnv
    from agentgym.runner.metrics import compute_scores
    from agentgym.types import Trajectory

    return json.loads(json.dumps(compute_scores([Trajectory.model_validate(t) for t in trajectories],
                                                CalculatorEnv, samples)))


# ------------------------------------------------------------------------------------------ databases
def reachable_postgres() -> str:
    """The test PostgreSQL URL, with a clean schema; skip (or fail in CI) when it cannot be reached."""
    import psycopg

    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(plain, connect_timeout=3, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    except psycopg.OperationalError as exc:
        message = (f"PostgreSQL is not reachable at {plain} ({str(exc).strip().splitlines()[0]}); run "
                   "`bash .ci/provision_postgres.sh` (as root) or set AGENTGYM_TEST_PG_URL")
        missing_service(message)
    return PG_URL


# ------------------------------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """``agentgym leaderboard serve`` in a subprocess on 127.0.0.1."""

    db_url: str
    port: int
    args: list[str]
    proc: subprocess.Popen[bytes] | None = None
    _http: httpx.Client | None = None

    @property
    def http(self) -> httpx.Client:
        """One pooled client (a new ``httpx.Client`` per request would rebuild its TLS context each time)."""
        if self._http is None:
            self._http = httpx.Client(base_url=self.url, timeout=120, limits=httpx.Limits(max_connections=64))
        return self._http

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.proc = subprocess.Popen(
            [AGENTGYM, "leaderboard", "serve", "--db", self.db_url, "--port", str(self.port), *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stdout.read().decode()[-3000:]}")  # type: ignore
            try:
                if self.http.get("/api/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the leaderboard server did not become ready in 60 s")

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def peak_rss_kib(self) -> int:
        """The server process's peak resident memory (VmHWM)."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise RuntimeError("no VmHWM")

    def token(self, name: str) -> str:
        from agentgym.leaderboard import db, store

        engine = db.make_engine(self.db_url)
        try:
            return store.create_submitter(db.session_factory(engine), name)
        finally:
            engine.dispose()

    def upload(self, data: bytes, token: str | None, **kw: Any) -> httpx.Response:
        headers = {"Content-Type": "application/gzip"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.post("/api/submissions", content=data, headers=headers, **kw)
