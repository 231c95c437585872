"""``--executor ray``: spread a run's episodes over a Ray cluster with the local engine's semantics.

Each Ray actor builds its own ``EpisodeRunner`` (env pool, policy, sandbox, rubric) from the run's
``RunConfig`` and plays episodes it is handed; the driver keeps everything stateful: the run directory
(the single writer, so appends stay atomic and resume works unchanged), the adaptive limiter and the
progress. Episode seeds come from the spec, so results equal a local run's.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Sequence

from agentgym.errors import ConfigError
from agentgym.runner.engine import AdaptiveLimiter, EpisodeRunner, EpisodeSpec, Record, RunConfig, drain
from agentgym.runner.rundir import EpisodeLine

__all__ = ["run_ray"]


class EpisodeActor:
    """Lives in a Ray worker; ``play`` returns the scored episode's stored form and the 429s seen so far."""

    def __init__(self, config: RunConfig):
        self.runner = EpisodeRunner(config)

    async def play(self, spec: EpisodeSpec) -> tuple[EpisodeLine, int]:
        return EpisodeLine.of(await self.runner.play(spec)), self.runner.throttles

    async def close(self) -> None:
        await self.runner.aclose()


async def run_ray(config: RunConfig, specs: Sequence[EpisodeSpec], limiter: AdaptiveLimiter,
                  record: Record) -> None:
    if not specs:
        return
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs Ray: pip install 'agentgym[ray]'") from None
    started_here = False
    if not ray.is_initialized():
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        if config.ray_address:
            ray.init(address=config.ray_address, log_to_driver=False)
        else:  # a private local instance on loopback
            ray.init(include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
        started_here = True
    remote_cls = ray.remote(num_cpus=1)(EpisodeActor)
    n_actors = max(1, min(int(ray.cluster_resources().get("CPU", 1)), len(specs), config.concurrency))
    actor_config = config.model_copy(update={"executor": "local", "progress": False})
    actors = [remote_cls.remote(actor_config) for _ in range(n_actors)]
    seen = [0] * n_actors
    turn = itertools.count()

    async def play(spec: EpisodeSpec) -> EpisodeLine:
        i = next(turn) % n_actors
        episode, throttles = await actors[i].play.remote(spec)
        seen[i] = limiter.replay_throttles(seen[i], throttles)
        return episode

    try:
        await drain(specs, limiter, play, record, config.ramp_up_s)
    finally:
        await asyncio.gather(*(a.close.remote() for a in actors), return_exceptions=True)
        for a in actors:
            ray.kill(a)
        if started_here:
            ray.shutdown()

