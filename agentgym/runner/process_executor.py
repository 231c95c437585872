"""``--workers N``: the local executor in N harness processes.

One event loop does all of an episode's work between model calls: parsing replies, the env step and its
tool calls, scoring, serializing. Against a fast server at high concurrency that loop becomes the
bottleneck. In ``benchmarks/runner_scaling.py`` (2,000 ten-turn episodes at concurrency 256, 100 ms per
completion) one loop was busy about two thirds of the time, and a reply that arrived while it was busy
waited: turns took 108-113 ms instead of 100 ms. With two workers the turns stay close to 100 ms.

Each worker process runs its own loop, with its own envs, policy client, sandbox and rubric. The driver
keeps everything stateful: the run directory (the single writer, so appends stay atomic and resume works
unchanged), the adaptive limiter, the ramp-up and the progress. It hands each episode to the worker with
the fewest episodes in flight. Workers are forked, so they share the driver's loaded tasks, env classes and
policy objects without pickling them. A worker sends each finished episode back in stored form
(``EpisodeLine``), so the driver never parses a trajectory. Results do not depend on the number of workers,
because episode seeds come from the spec.

A worker that dies (killed, out of memory) stops the run with an ``InfrastructureError``. Every episode
finished before that is already on disk, so rerunning the same command resumes the run.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import signal
import socket
import struct
import sys
from collections.abc import Sequence
from multiprocessing.process import BaseProcess
from typing import Any

from agentgym.errors import InfrastructureError
from agentgym.runner.engine import AdaptiveLimiter, EpisodeRunner, EpisodeSpec, Record, RunConfig, drain
from agentgym.runner.rundir import EpisodeLine
from agentgym.taskstore import TaskList

__all__ = ["run_processes"]

_LENGTH = struct.Struct("!I")


def _frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


async def _receive(reader: asyncio.StreamReader) -> Any:
    """The next message; ``asyncio.IncompleteReadError`` when the other side has closed."""
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    return pickle.loads(await reader.readexactly(length))  # the other end is our own forked process


# ---------------------------------------------------------------------------------------------- worker side
def _worker_main(config: RunConfig, tasks: TaskList, sock: socket.socket,
                 driver_ends: list[socket.socket]) -> None:
    """A forked worker: plays the episodes the driver sends until the driver closes its socket."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the driver, which then closes the socket
    for end in driver_ends:  # inherited copies: while one is open, no worker would see the driver close
        end.close()
    asyncio.run(_serve(config, tasks, sock))


async def _serve(config: RunConfig, tasks: TaskList, sock: socket.socket) -> None:
    runner = EpisodeRunner(config, tasks=tasks)
    reader, writer = await asyncio.open_connection(sock=sock)
    running: set[asyncio.Task[None]] = set()

    async def play(spec: EpisodeSpec) -> None:
        try:
            outcome: EpisodeLine | str = EpisodeLine.of(await runner.play(spec))
        except Exception as exc:  # a harness bug: the driver raises it, as the in-process executor would
            outcome = f"{type(exc).__name__}: {exc}"
        writer.write(_frame((spec.id, outcome, runner.throttles)))

    try:
        while True:
            try:
                spec = await _receive(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break  # the driver is done, or gone
            task = asyncio.create_task(play(spec))
            running.add(task)
            task.add_done_callback(running.discard)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await runner.aclose()
        writer.close()


# ---------------------------------------------------------------------------------------------- driver side
class _Worker:
    """The driver's handle on one worker process: sends it episodes and resolves their futures."""

    def __init__(self, process: BaseProcess, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 limiter: AdaptiveLimiter):
        self.process, self.reader, self.writer, self.limiter = process, reader, writer, limiter
        self.waiting: dict[str, asyncio.Future[EpisodeLine]] = {}
        self.throttles = 0
        self.failure: InfrastructureError | None = None
        self.listener = asyncio.create_task(self._listen())

    async def play(self, spec: EpisodeSpec) -> EpisodeLine:
        if self.failure is not None:
            raise self.failure
        future: asyncio.Future[EpisodeLine] = asyncio.get_running_loop().create_future()
        self.waiting[spec.id] = future
        self.writer.write(_frame(spec))
        return await future

    async def _listen(self) -> None:
        try:
            while True:
                episode_id, outcome, throttles = await _receive(self.reader)
                self.throttles = self.limiter.replay_throttles(self.throttles, throttles)
                future = self.waiting.pop(episode_id)
                if isinstance(outcome, EpisodeLine):
                    future.set_result(outcome)
                else:
                    future.set_exception(RuntimeError(f"episode {episode_id} failed in a worker: {outcome}"))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        await asyncio.to_thread(self.process.join, 5)
        self.failure = InfrastructureError(
            f"harness worker {self.process.name} (pid {self.process.pid}) exited with code "
            f"{self.process.exitcode} during the run; finished episodes are saved, rerun the same command "
            f"to resume")
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(self.failure)
        self.waiting.clear()

    async def close(self) -> None:
        self.writer.close()  # the worker finishes on end-of-file
        await asyncio.to_thread(self.process.join, 10)
        if self.process.is_alive():
            self.process.kill()
            await asyncio.to_thread(self.process.join, 5)
        self.listener.cancel()
        await asyncio.gather(self.listener, return_exceptions=True)


async def run_processes(config: RunConfig, tasks: TaskList, specs: Sequence[EpisodeSpec],
                        limiter: AdaptiveLimiter, record: Record) -> None:
    """Play ``specs`` in ``config.workers`` forked processes; ``record`` each finished episode here."""
    if not specs:
        return
    context = multiprocessing.get_context("fork")  # workers inherit the loaded env classes and policy objects
    worker_config = config.model_copy(update={"workers": 1, "progress": False})
    sys.stdout.flush()  # a forked worker would otherwise print the driver's buffered output again
    sys.stderr.flush()
    workers: list[_Worker] = []
    try:
        driver_ends: list[socket.socket] = []
        for i in range(min(config.workers, len(specs))):
            ours, theirs = socket.socketpair()
            driver_ends.append(ours)
            process = context.Process(target=_worker_main, args=(worker_config, tasks, theirs, driver_ends),
                                      name=f"agentgym-worker-{i}", daemon=True)
            process.start()
            theirs.close()
            reader, writer = await asyncio.open_connection(sock=ours)
            workers.append(_Worker(process, reader, writer, limiter))

        async def play(spec: EpisodeSpec) -> EpisodeLine:
            return await min(workers, key=lambda w: len(w.waiting)).play(spec)

        await drain(specs, limiter, play, record, config.ramp_up_s)
    finally:
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
