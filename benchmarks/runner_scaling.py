"""How well the run engine scales: efficiency against a slow server, raw harness speed, memory growth.

1. *efficiency*: a loopback fake policy server (its own process) answers every chat completion after 100 ms;
   2,000 ten-turn episodes at concurrency 256, played by the real ``openai-compatible`` policy. Ideal time =
   episodes x turns x 0.1 s / 256; efficiency = ideal / measured, start-up and final scoring included
   (target >= 0.85). The headline runs the harness with ``--workers 2`` (two harness processes, the
   setting for this load on this 2-core machine); *efficiency_1_worker* is the same run in one process,
   measured right after. The fake server shares the machine's cores with the harness.
2. *harness_eps_per_s*: an instant in-process policy, the engine pinned to one core, 2,000 ten-turn episodes
   (target >= 100 episodes/s), per CPU second of that process: the rate one dedicated core sustains even
   when other work shares the machine (the wall-clock rate is printed too). Everything a real run does is
   included: env, sandbox session, scoring with the rubric engine, durable appends, final scores.
3. *mem_growth_ratio*: peak RSS of a 10,000-episode run over that of a 1,000-episode run, each in a fresh
   process, on the same 100 tasks (more samples each), so only the number of episodes grows (target: flat).

The env and the instant policy are tiny and defined here so that only the harness is measured.

    python benchmarks/runner_scaling.py [--episodes 2000] [--concurrency 256] [--workers 2] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TURNS = 10
LATENCY_S = 0.1


# ---------------------------------------------------------------------------------------------- env + policies
def _define() -> tuple[type, type]:
    """The benchmark env and policies (defined lazily so the server process stays light)."""
    import agentgym
    from agentgym.env import AgentEnv
    from agentgym.policies.base import Observation, Policy, PolicyOutput
    from agentgym.tools import tool
    from agentgym.types import Message, Task, ToolCall, Trajectory
    from agentgym.world import World

    class TickWorld(World):
        @tool
        def tick(self, n: int) -> int:
            """Count one step.

            Args:
                n: The step number.
            """
            return n + 1

    class TickEnv(AgentEnv):
        """Nine tool turns then an answer: every episode is exactly ten turns."""

        name = "bench-ticker"
        world_factory = f"{__name__}:TickWorld"  # published into this module's globals below
        default_max_turns = TURNS
        headline_metrics = ("turns",)

        @classmethod
        def generate_tasks(cls, split: str) -> list[Task]:
            return [Task(id=f"tick-{i:05d}", env=cls.name, split=split, instruction="Tick nine times, then say done.",
                         category=f"c{i % 4}") for i in range(10000)]

        @classmethod
        def load_split(cls, split: str) -> list[Task]:
            return cls.generate_tasks(split)

        @classmethod
        def score(cls, trajectory: Trajectory) -> dict[str, Any]:
            last = trajectory.steps[-1].action if trajectory.steps else None
            return {"success": bool(last and last.content == "done"), "turns": len(trajectory.steps)}

    def action(turn: int) -> Message:
        if turn < TURNS - 1:
            return Message.assistant("", [ToolCall.model_construct(id=f"c{turn}", name="tick", arguments={"n": turn},
                                                                   parse_error=None)])
        return Message.assistant("done")

    class InstantPolicy(Policy):
        name = "instant"

        async def act(self, observation: Observation) -> PolicyOutput:
            return PolicyOutput(action(observation.turn))

    agentgym.register("bench-ticker", TickEnv)
    globals().update(TickWorld=TickWorld, TickEnv=TickEnv)
    return TickEnv, InstantPolicy


# ---------------------------------------------------------------------------------------------- fake server
async def _serve(port_file: str) -> None:
    """A lean HTTP/1.1 keep-alive server (asyncio protocol + httptools): each chat completion is answered
    after LATENCY_S. It stands in for a provider on another machine, so it is kept cheap: on this machine
    its CPU comes out of the harness's."""
    import httptools

    loop = asyncio.get_running_loop()

    def answer(n: int) -> bytes:
        if n < TURNS - 1:
            msg = {"role": "assistant", "content": None, "tool_calls": [
                {"id": f"c{n}", "type": "function", "function": {"name": "tick", "arguments": json.dumps({"n": n})}}]}
        else:
            msg = {"role": "assistant", "content": "done"}
        out = json.dumps({"id": "x", "object": "chat.completion", "choices": [
            {"index": 0, "message": msg, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2}}).encode()
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(out), out)

    replies = [answer(n) for n in range(TURNS)]
    ASSISTANT = re.compile(rb'"role"\s*:\s*"assistant"')

    class Completions(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.parser = httptools.HttpRequestParser(self)
            self.body: list[bytes] = []

        def data_received(self, data: bytes) -> None:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                self.transport.close()

        def on_body(self, body: bytes) -> None:
            self.body.append(body)

        def on_message_complete(self) -> None:
            # the turn is the number of assistant messages so far; counted in the raw body rather than
            # parsing it, since the conversation is the benchmark's own
            n = len(ASSISTANT.findall(b"".join(self.body)))
            self.body = []
            loop.call_later(LATENCY_S, self.reply, replies[min(n, TURNS - 1)])

        def reply(self, data: bytes) -> None:
            if not self.transport.is_closing():
                self.transport.write(data)

    server = await loop.create_server(Completions, "127.0.0.1", 0, backlog=2048)
    Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
    async with server:
        await asyncio.sleep(600)  # never outlive a crashed benchmark


# ---------------------------------------------------------------------------------------------- measurements
def _run(mode: str, episodes: int, concurrency: int, workers: int, base_url: str | None) -> dict[str, float]:
    """``mode``: ``http``, ``instant`` (one sample of each of ``episodes`` tasks) or ``samples`` (100 tasks,
    ``episodes / 100`` samples each: the task set stays fixed so only the number of episodes grows)."""
    TickEnv, InstantPolicy = _define()
    from agentgym.policies.openai_compat import OpenAICompatiblePolicy
    from agentgym.runner.engine import run

    with tempfile.TemporaryDirectory() as tmp:
        # warm up imports, the rubric and caches so only steady-state work is timed
        run(TickEnv, split="bench", policy=InstantPolicy(), out=Path(tmp) / "warm", limit=20, progress=False)
        policy = OpenAICompatiblePolicy(base_url, model="fake") if mode == "http" else InstantPolicy()
        limit, samples = (100, episodes // 100) if mode == "samples" else (episodes, 1)
        cpu0, start = time.process_time(), time.perf_counter()
        result = run(TickEnv, split="bench", policy=policy, out=Path(tmp) / "run", limit=limit, samples=samples,
                     concurrency=concurrency, workers=workers, progress=False)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
    assert result.scores["n_episodes"] == episodes and result.scores["success_rate"] == 1.0, result.scores
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"elapsed": elapsed, "cpu": cpu, "peak_rss_mb": peak_kb / 1024}


def _child(args: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2, help="harness processes for the efficiency run")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve))
        return
    if args.child:
        mode, n, conc, workers, *rest = args.child
        if mode in ("instant", "samples"):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # the harness on one core
        print(json.dumps(_run(mode, int(n), int(conc), int(workers), rest[0] if rest else None)))
        return

    episodes = 300 if args.quick else args.episodes
    small, large = (200, 1000) if args.quick else (1000, 10000)
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
        try:
            deadline = time.monotonic() + 30
            while not port_file.exists() or not port_file.read_text():
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("fake policy server did not start")
                time.sleep(0.05)
            base_url = f"http://127.0.0.1:{port_file.read_text()}/v1"
            http = {w: _child(["http", str(episodes), str(args.concurrency), str(w), base_url])
                    for w in dict.fromkeys([args.workers, 1])}
        finally:
            server.terminate()
            server.wait(timeout=10)
    ideal = episodes * TURNS * LATENCY_S / args.concurrency
    for w, r in http.items():
        print(f"fake server (100 ms/turn): {episodes} x {TURNS}-turn episodes at concurrency {args.concurrency}, "
              f"{w} harness process{'es' if w > 1 else ''}: {r['elapsed']:.2f} s (ideal {ideal:.2f} s, "
              f"efficiency {ideal / r['elapsed']:.3f})")
    efficiency, efficiency_1 = ideal / http[args.workers]["elapsed"], ideal / http[1]["elapsed"]

    instant = min((_child(["instant", str(episodes), c, "1"]) for c in ("1", "16")), key=lambda r: r["cpu"])
    eps = episodes / instant["cpu"]
    print(f"instant policy, pinned to one core: {episodes} episodes in {instant['cpu']:.2f} CPU s "
          f"({instant['elapsed']:.2f} s wall on a shared machine, {episodes / instant['elapsed']:.1f} episodes/s)")

    mem_small = _child(["samples", str(small), "16", "1"])
    mem_large = _child(["samples", str(large), "16", "1"])
    ratio = mem_large["peak_rss_mb"] / mem_small["peak_rss_mb"]
    print(f"peak RSS: {small} episodes {mem_small['peak_rss_mb']:.1f} MB, {large} episodes "
          f"{mem_large['peak_rss_mb']:.1f} MB")
    print(f"efficiency={efficiency:.3f} harness_eps_per_s={eps:.1f} mem_growth_ratio={ratio:.3f} "
          f"efficiency_1_worker={efficiency_1:.3f}")


if __name__ == "__main__":
    main()
