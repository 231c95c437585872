"""The run engine: every (task, sample) episode of a split, run concurrently, scored, recorded, resumable.

    from agentgym.runner.engine import run
    result = run("calculator", split="test", policy="oracle", samples=3, out="runs/calc")
    result.scores["success_rate"]

Design points, each for a reason:
- *Seeds*: episode seed = ``derive_seed(run seed, task id, sample)`` (sha256), given to the env (and through it
  the user simulator) and to the policy. No global RNG is touched, so results do not depend on scheduling.
- *One env per concurrent episode*: envs hold episode state; workers own one each and reuse it.
- *Adaptive concurrency*: a 429 from the provider halves the number of episodes in flight; successes ramp
  it back up one at a time (AIMD), so a rate-limited provider is not hammered.
- *Failures*: provider/harness failures (``InfrastructureError``) are retried per call with backoff; an
  episode that still fails is recorded with ``status="infra_error"``, left out of the scores and run again on
  resume. Wall-clock overruns are ``status="timeout"`` and count as failures of the model.
- *Ramp-up*: the first episodes start spread over a short window, not at once (see ``drain``).
- *Executors*: episodes are played in this process, in ``--workers N`` forked processes
  (``process_executor``) or on a Ray cluster (``ray_executor``); the run directory, limiter and progress
  always stay here, and an episode crosses back as its stored line (``EpisodeLine``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json

from agentgym.env import AgentEnv, derive_seed
from agentgym.errors import ConfigError, InfrastructureError
from agentgym.policies.base import Observation, Policy, PolicyOutput
from agentgym.runner.episode import run_episode
from agentgym.runner.metrics import compute_scores
from agentgym.runner.rundir import EpisodeLine, EpisodeRecord, RunDir, note_record
from agentgym.taskstore import TaskList, task_set_hash
from agentgym.types import RunManifest, Task, Trajectory, Usage

__all__ = ["AdaptiveLimiter", "EpisodeRunner", "EpisodeSpec", "RunConfig", "RunResult", "arun", "run"]

log = logging.getLogger("agentgym.runner")


class RunConfig(BaseModel):
    """Everything ``agentgym run`` takes. Fields that change results go into the manifest."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    env: Any  # an env name, or an AgentEnv subclass
    split: str = "test"
    out: Path
    policy: Any = None  # a policy name, a Policy instance, or None with ``model``
    policy_kwargs: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    base_url: str | None = None
    samples: int = 1
    sandbox: str = "local"
    concurrency: int = 8
    max_turns: int | None = None
    episode_timeout: float | None = None
    seed: int = 0
    limit: int | None = None
    noise: list[str] = Field(default_factory=list)
    rubric: str | None = None
    env_kwargs: dict[str, Any] = Field(default_factory=dict)
    executor: str = "local"
    ray_address: str | None = None
    quiet: bool = False
    progress: bool = True
    max_call_retries: int = 8
    ramp_up_s: float | None = None  # None: RAMP_UP_PER_EPISODE_S per concurrent episode
    workers: int = 1  # harness processes of the local executor (see process_executor)


@dataclass(frozen=True, slots=True)
class EpisodeSpec:
    task_id: str
    sample: int
    seed: int

    @property
    def id(self) -> str:
        return f"{self.task_id}#{self.sample}"


@dataclass
class RunResult:
    out: Path
    manifest: RunManifest
    scores: dict[str, Any]
    n_run: int  # episodes played by this invocation
    n_skipped: int  # episodes already done (resume)
    n_infra_errors: int  # episodes of this invocation that ended in an infra error


# ---------------------------------------------------------------------------------------------- helpers
def resolve_env_class(env: Any) -> type[AgentEnv]:
    if isinstance(env, type) and issubclass(env, AgentEnv):
        return env
    from agentgym.registry import env_class

    return env_class(str(env))


def load_run_tasks(env_cls: type[AgentEnv], split: str, limit: int | None,
                   env_kwargs: dict[str, Any] | None = None) -> TaskList:
    # env kwargs can change the task set itself (``data=PATH`` loads a benchmark's official release)
    tasks = env_cls(split=split, **env_kwargs).tasks if env_kwargs else env_cls.load_split(split)
    if limit is not None:
        if limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {limit}")
        tasks = tasks[:limit]
    if not tasks:
        raise ConfigError(f"{env_cls.name}/{split} has no tasks")
    return TaskList(tasks)  # the run's envs share it, and its index by id


def build_policy(config: RunConfig) -> Policy:
    """The run's policy: an instance as given, a named one, or an LLM from ``--model``/``--base-url``."""
    if isinstance(config.policy, Policy):
        return config.policy
    from agentgym.policies import make_policy

    kwargs = dict(config.policy_kwargs)
    if config.model or config.base_url:  # an LLM; a bare --base-url serves its own default model
        if config.model:
            kwargs["model"] = config.model
        if config.base_url:
            kwargs["base_url"] = config.base_url
        name = config.policy or ("openai-compatible" if config.base_url else "litellm")
        return make_policy(name, **kwargs)
    if not config.policy:
        raise ConfigError("choose a policy: --policy oracle|scripted|replay|random, or --model MODEL")
    return make_policy(str(config.policy), **kwargs)


def load_rubric_for(config: RunConfig, env_cls: type[AgentEnv]) -> Any:
    """The rubric episodes are scored with (``None`` when the evaluators package is not installed)."""
    try:
        from agentgym.evaluators import load_rubric, rubric_for, score_trajectory  # noqa: F401
    except ImportError:
        if config.rubric:
            raise ConfigError("--rubric needs agentgym.evaluators, which is not available") from None
        log.warning("agentgym.evaluators is not available: episodes get env metrics but no rubric scores")
        return None
    return load_rubric(config.rubric) if config.rubric else rubric_for(env_cls)


def rubric_info(rubric: Any) -> dict[str, Any]:
    if rubric is None:
        return {}
    name = getattr(rubric, "name", None) or getattr(rubric, "rubric", None)
    digest = getattr(rubric, "rubric_hash", None) or getattr(rubric, "hash", None)
    if callable(digest):
        digest = digest()
    return {"name": name, "hash": digest}


def score_episode(traj: Trajectory, env_cls: type[AgentEnv], rubric: Any) -> Trajectory:
    """Env metrics plus rubric scores, through the evaluators when they are available."""
    if rubric is not None:
        from agentgym.evaluators import score_trajectory

        return score_trajectory(traj, rubric)
    return traj.model_copy(update={"metrics": env_cls.score(traj)})


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def build_manifest(config: RunConfig, env_cls: type[AgentEnv], tasks: Sequence[Task], policy: Policy,
                   rubric: Any) -> RunManifest:
    import agentgym

    return RunManifest(
        run_id=uuid.uuid4().hex[:12], created_at=datetime.now(timezone.utc).isoformat(),
        agentgym_version=agentgym.__version__, env=env_cls.name, env_version=env_cls.version,
        split=config.split, task_set_hash=task_set_hash(tasks), n_tasks=len(tasks), samples=config.samples,
        seed=config.seed, policy=policy.config(), sandbox=config.sandbox, noise=list(config.noise),
        rubric=rubric_info(rubric),
        harness={"max_turns": config.max_turns or env_cls.default_max_turns,
                 "episode_timeout": config.episode_timeout},
        env_kwargs=config.env_kwargs, git_commit=git_commit(),
    )


def episode_specs(tasks: Sequence[Task], samples: int, run_seed: int) -> list[EpisodeSpec]:
    return [EpisodeSpec(t.id, s, derive_seed(run_seed, t.id, s)) for t in tasks for s in range(samples)]


# ---------------------------------------------------------------------------------------------- limiter
class AdaptiveLimiter:
    """A concurrency limit that halves on throttling and grows by one per ``limit`` clean completions."""

    def __init__(self, maximum: int, *, cooldown_s: float = 1.0):
        if maximum < 1:
            raise ConfigError(f"--concurrency must be at least 1, got {maximum}")
        self.maximum = maximum
        self.limit = maximum
        self.active = 0
        self.cooldown_s = cooldown_s
        self._clean = 0
        self._last_cut = -1e9
        self._cond = asyncio.Condition()
        self.throttles = 0

    async def acquire(self) -> None:
        async with self._cond:
            await self._cond.wait_for(lambda: self.active < self.limit)
            self.active += 1

    async def release(self) -> None:
        async with self._cond:
            self.active -= 1
            self._cond.notify_all()

    async def __aenter__(self) -> AdaptiveLimiter:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.release()

    def on_throttle(self) -> None:
        """A 429: cut the limit in half (at most once per cooldown, since 429s arrive in bursts)."""
        self.throttles += 1
        now = time.monotonic()
        if now - self._last_cut >= self.cooldown_s:
            self._last_cut = now
            self.limit = max(1, self.limit // 2)
            self._clean = 0

    def replay_throttles(self, seen: int, reported: int) -> int:
        """A runner in another process reports its 429s as a running count (``EpisodeRunner.throttles``):
        throttle once for each one not seen yet. Returns the count seen now."""
        for _ in range(reported - seen):
            self.on_throttle()
        return max(seen, reported)

    def on_success(self) -> None:
        if self.limit >= self.maximum:
            return
        self._clean += 1
        if self._clean >= self.limit:
            self._clean = 0
            self.limit += 1
            # wake waiters: the limit grew; notify needs the lock, so schedule it
            asyncio.get_running_loop().create_task(self._wake())

    async def _wake(self) -> None:
        async with self._cond:
            self._cond.notify_all()


class RetryingPolicy(Policy):
    """Retries a policy's ``act`` on retryable infrastructure errors, with jittered exponential backoff.

    ``act`` is one model call on an unchanged conversation, so repeating it is safe; 429s are reported to
    ``on_throttle`` so the engine can lower its concurrency.
    """

    def __init__(self, inner: Policy, *, retries: int = 8, base_delay_s: float = 0.05, max_delay_s: float = 5.0,
                 on_throttle: Callable[[], None] | None = None, seed: int = 0):
        self.inner, self.retries = inner, retries
        self.base_delay_s, self.max_delay_s = base_delay_s, max_delay_s
        self.on_throttle = on_throttle
        self.name = inner.name
        self._rng = random.Random(seed)  # jitter only; never affects results

    def config(self) -> dict[str, Any]:
        return self.inner.config()

    async def begin(self, episode_id: str, task: Task, seed: int, env: Any = None) -> None:
        await self.inner.begin(episode_id, task, seed, env)

    async def act(self, observation: Observation) -> PolicyOutput:
        attempt = 0
        while True:
            try:
                return await self.inner.act(observation)
            except InfrastructureError as exc:
                if exc.status_code == 429 and self.on_throttle is not None:
                    self.on_throttle()
                if not exc.retryable or attempt >= self.retries:
                    raise
                delay = min(self.max_delay_s, self.base_delay_s * 2 ** attempt)
                attempt += 1
                await asyncio.sleep(delay * (0.5 + self._rng.random()))

    async def end(self, episode_id: str) -> None:
        await self.inner.end(episode_id)

    async def aclose(self) -> None:
        await self.inner.aclose()


# ---------------------------------------------------------------------------------------------- episodes
class EpisodeRunner:
    """Plays single episodes for a run: owns the env pool, the (retrying) policy, the sandbox and rubric.

    The local engine uses one; each worker process and Ray actor builds its own from the same ``RunConfig``
    and reports ``throttles`` (the 429s it has seen) back to the driver's limiter.
    """

    def __init__(self, config: RunConfig, *, on_throttle: Callable[[], None] | None = None,
                 tasks: TaskList | None = None):
        from agentgym.sandbox import make_sandbox

        self.config = config
        self.env_cls = resolve_env_class(config.env)
        # ``tasks``: the run's tasks when the caller has them loaded already (a worker process)
        self.tasks = tasks if tasks is not None else load_run_tasks(self.env_cls, config.split, config.limit,
                                                                     config.env_kwargs)
        self.inner_policy = build_policy(config)
        self.throttles = 0
        self._on_throttle = on_throttle
        self.policy = RetryingPolicy(self.inner_policy, retries=config.max_call_retries, on_throttle=self._throttled)
        self.rubric = load_rubric_for(config, self.env_cls)
        self.sandbox = make_sandbox(config.sandbox)
        self._free: list[Any] = []
        self._all: list[Any] = []
        self._reported_crash = False

    def _throttled(self) -> None:
        self.throttles += 1
        if self._on_throttle is not None:
            self._on_throttle()

    def _make_env(self) -> Any:
        env = self.env_cls(split=self.config.split, tasks=self.tasks, sandbox=self.sandbox,
                           max_turns=self.config.max_turns, **self.config.env_kwargs)
        if self.config.noise:
            from agentgym.noise import apply_noise  # provided by the noise wrappers; only needed with --noise

            env = apply_noise(env, list(self.config.noise))
        self._all.append(env)
        return env

    async def play(self, spec: EpisodeSpec) -> Trajectory:
        """One episode, scored; never raises for model or provider failures (they become the status)."""
        env = self._free.pop() if self._free else self._make_env()
        try:
            return await self._play(env, spec)
        finally:
            self._free.append(env)

    async def _play(self, env: Any, spec: EpisodeSpec) -> Trajectory:
        started = time.perf_counter()
        base = env.unwrapped
        try:
            coro = run_episode(env, self.policy, task_id=spec.task_id, seed=spec.seed, sample=spec.sample,
                               episode_id=spec.id)
            if self.config.episode_timeout:
                traj = await asyncio.wait_for(coro, self.config.episode_timeout)
            else:
                traj = await coro
        except asyncio.TimeoutError:
            traj = self._partial(base, spec, started, "timeout",
                                 f"episode exceeded --episode-timeout {self.config.episode_timeout}s")
        except asyncio.CancelledError:
            raise
        except InfrastructureError as exc:
            return self._partial(base, spec, started, "infra_error", f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a crash of the harness, env or policy code: not the model's failure
            if not self._reported_crash:
                self._reported_crash = True
                log.error("episode %s crashed (recorded as infra_error):\n%s", spec.id, traceback.format_exc())
            return self._partial(base, spec, started, "infra_error", f"{type(exc).__name__}: {exc}")
        try:
            return score_episode(traj, self.env_cls, self.rubric)
        except Exception as exc:
            if not self._reported_crash:
                self._reported_crash = True
                log.error("scoring %s failed (recorded as infra_error):\n%s", spec.id, traceback.format_exc())
            return traj.model_copy(update={"status": "infra_error", "error": f"scoring failed: {exc}"})

    def _partial(self, base: Any, spec: EpisodeSpec, started: float, status: str, error: str) -> Trajectory:
        """What there is of an episode that did not finish, so failures are inspectable."""
        if base.task is not None and base.episode_id == spec.id:
            traj = base.trajectory()
        else:
            traj = Trajectory.model_construct(
                id=spec.id, env=self.env_cls.name, env_version=self.env_cls.version,
                task=next(t for t in self.tasks if t.id == spec.task_id), sample=spec.sample, seed=spec.seed,
                policy="", initial_messages=[], tools=[], steps=[], terminated=False, truncated=False,
                status="completed", error=None, metrics={}, scores={}, usage=Usage(), duration_s=0.0,
                started_at=None)
        usage = Usage()
        for step in traj.steps:
            usage = usage + step.usage
        update: dict[str, Any] = {"status": status, "error": error, "usage": usage, "policy": self.policy.name,
                                  "duration_s": time.perf_counter() - started}
        traj = traj.model_copy(update=update)
        if status == "timeout":  # a model failure: score what it did (normally not a success)
            try:
                traj = score_episode(traj, self.env_cls, self.rubric)
            except Exception:
                traj = traj.model_copy(update={"metrics": {"success": False}})
            traj = traj.model_copy(update={"status": "timeout"})
        return traj

    async def aclose(self) -> None:
        for env in self._all:
            try:
                env.close()
            except Exception:
                log.debug("closing env failed", exc_info=True)
        self._all.clear()
        self._free.clear()
        await self.policy.aclose()
        try:
            self.sandbox.close()
        except Exception:
            log.debug("closing sandbox failed", exc_info=True)


# ---------------------------------------------------------------------------------------------- executors
Record = Callable[[EpisodeLine], Awaitable[None]]
Play = Callable[[EpisodeSpec], Awaitable[EpisodeLine]]


#: default ramp-up: the first wave's starts are this far apart, about what the harness spends on one turn
RAMP_UP_PER_EPISODE_S = 0.0004


async def drain(specs: Sequence[EpisodeSpec], limiter: AdaptiveLimiter, play: Play, record: Record,
                ramp_up_s: float | None = None) -> None:
    """Workers pull episodes from a shared iterator and ``play`` them; the limiter bounds how many are in
    flight. Shared by every executor (in-process, worker processes, Ray): they differ only in where an
    episode is played.

    The workers' first episodes start evenly over ``ramp_up_s`` (default ``RAMP_UP_PER_EPISODE_S`` per
    worker) rather than at once. Started together, episodes against a provider with steady latency stay
    in lockstep: every turn's replies arrive as one burst that the harness works through serially (in
    ``benchmarks/runner_scaling.py`` efficiency was 0.83 without the ramp-up and 0.87-0.89 with it); a
    burst of first requests is also what trips a provider's rate limit.
    """
    pending = iter(specs)
    n_workers = min(limiter.maximum, len(specs))
    ramp_up_s = n_workers * RAMP_UP_PER_EPISODE_S if ramp_up_s is None else ramp_up_s

    async def worker(k: int) -> None:
        if ramp_up_s > 0 and k:
            await asyncio.sleep(ramp_up_s * k / n_workers)
        # the next episode does not wait for the previous one's fsync (tens of ms, every episode); the
        # previous record is awaited only to surface a failed append
        recorded: asyncio.Future[None] | None = None
        try:
            for spec in pending:
                async with limiter:
                    episode = await play(spec)
                if episode.status != "infra_error":
                    limiter.on_success()
                if recorded is not None:
                    await recorded
                recorded = asyncio.ensure_future(record(episode))
        finally:
            if recorded is not None:  # also when cancelled: a played episode is kept
                await recorded

    workers = [asyncio.create_task(worker(k)) for k in range(n_workers)]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()


# ---------------------------------------------------------------------------------------------- the run
class _Tally:
    """Live counts for the progress display (never the scores: those come from the stored file)."""

    def __init__(self) -> None:
        self.done = 0
        self.success = 0
        self.infra = 0
        self.tokens = 0
        self.cost = 0.0

    def add(self, episode: EpisodeLine) -> None:
        self.done += 1
        usage = episode.head.get("usage") or {}
        self.tokens += int(usage.get("prompt_tokens", 0)) + int(usage.get("completion_tokens", 0))
        self.cost += float(usage.get("cost", 0.0))
        if episode.status == "infra_error":
            self.infra += 1
        elif (episode.head.get("metrics") or {}).get("success"):
            self.success += 1


async def arun(config: RunConfig | None = None, **kwargs: Any) -> RunResult:
    """Run (or resume) a run directory; see ``RunConfig`` for the options."""
    config = config or RunConfig(**kwargs)
    if config.samples < 1:
        raise ConfigError(f"--samples must be at least 1, got {config.samples}")
    if config.ramp_up_s is not None and config.ramp_up_s < 0:
        raise ConfigError(f"--ramp-up must be at least 0 seconds, got {config.ramp_up_s}")
    if config.workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {config.workers}")
    if config.workers > 1 and config.executor != "local":
        raise ConfigError("--workers is for the local executor; with --executor ray, Ray places the episodes")
    if config.executor not in ("local", "ray"):
        raise ConfigError(f"unknown executor {config.executor!r}; choose local or ray")
    limiter = AdaptiveLimiter(config.concurrency)
    runner = EpisodeRunner(config, on_throttle=limiter.on_throttle)
    rundir = RunDir(config.out)
    try:
        manifest = rundir.open(build_manifest(config, runner.env_cls, runner.tasks, runner.inner_policy,
                                              runner.rubric))
        specs = episode_specs(runner.tasks, config.samples, config.seed)
        records = rundir.scan()
        done = {eid for eid, rec in records.items() if rec.status != "infra_error"}
        todo = [s for s in specs if s.id not in done]
        tally = _Tally()
        progress = _Progress(config, len(specs), len(specs) - len(todo))

        async def record(episode: EpisodeLine) -> None:
            offset = await asyncio.wrap_future(rundir.append(episode.line))
            note_record(records, episode.id, EpisodeRecord(offset, episode.status, to_json(episode.head)))
            tally.add(episode)
            progress.update(tally)

        with progress, stable_heap():
            if config.executor == "ray":
                from agentgym.runner.ray_executor import run_ray

                await run_ray(config, todo, limiter, record)
            elif config.workers > 1:
                from agentgym.runner.process_executor import run_processes

                await run_processes(config, runner.tasks, todo, limiter, record)
            else:
                async def play(spec: EpisodeSpec) -> EpisodeLine:
                    return EpisodeLine.of(await runner.play(spec))

                await drain(todo, limiter, play, record, config.ramp_up_s)
    finally:
        rundir.close()
        await runner.aclose()
    scores = finalize(rundir, runner.env_cls, config.samples, records)
    u = scores["usage"]
    manifest = manifest.model_copy(update={"usage": Usage(
        prompt_tokens=int(u.get("prompt_tokens", 0)), completion_tokens=int(u.get("completion_tokens", 0)),
        cost=u.get("cost", 0.0), latency_s=u.get("latency_s", 0.0), calls=int(u.get("calls", 0)))})
    rundir.write_manifest(manifest)
    return RunResult(config.out, manifest, scores, tally.done, len(specs) - len(todo), tally.infra)


@contextlib.contextmanager
def stable_heap(young_collection_every: int = 50_000, full_collection_every: int = 1000) -> Iterator[None]:
    """Keep the garbage collector's work during a run in proportion to the garbage, not to the live heap.

    Episodes allocate millions of short-lived objects next to a large heap that lives for the whole run
    (tasks, envs, modules) and a young one that lives for an episode (its messages and steps). With the
    default thresholds the collector walked both again and again: in ``benchmarks/runner_scaling.py``
    (2,000 episodes at concurrency 256) full collections took 0.6 s of a 10 s run and young ones another
    0.25 s of CPU, each pause holding up every episode whose reply was waiting. So for the run the
    pre-run heap is frozen, a young collection waits for ``young_collection_every`` allocations instead of
    700 (by then most of an episode's objects have been freed by reference counting: young-collection time
    fell from ~250 ms to ~60 ms a run, same peak memory), and a full one for ``full_collection_every``
    middle-aged collections instead of 10. The previous settings come back after (a heap the caller froze
    itself stays frozen).
    """
    threshold = gc.get_threshold()
    ours = gc.get_freeze_count() == 0
    if ours:
        gc.freeze()
    gc.set_threshold(max(threshold[0], young_collection_every), threshold[1],
                     max(threshold[2], full_collection_every))
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if ours:
            gc.unfreeze()


def finalize(rundir: RunDir, env_cls: type[AgentEnv], samples: int,
             records: dict[str, EpisodeRecord] | None = None) -> dict[str, Any]:
    """Scores from the stored trajectories (never from the live objects: a resumed run scores like a fresh
    one). ``records`` is the index of the file when the caller kept it up to date, with each line's
    ``score_head``, which saves a scan and parsing every line again."""
    scores = compute_scores(rundir.trajectories(records), env_cls, samples)
    rundir.write_scores(scores)
    return scores


def run(env: Any = None, **kwargs: Any) -> RunResult:
    """Synchronous ``arun``: ``run("calculator", split="test", policy="oracle", out="runs/x")``."""
    config = kwargs.pop("config", None) or RunConfig(env=env, **kwargs)
    return asyncio.run(arun(config))


# ---------------------------------------------------------------------------------------------- progress
class _Progress:
    """A rich progress bar (done/total, success so far, tokens, cost, ETA), or plain log lines."""

    def __init__(self, config: RunConfig, total: int, already: int):
        self.total, self.already = total, already
        self.quiet = config.quiet or not config.progress
        self.show = config.progress
        self.started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._next_log = 0
        self._step = max(1, (total - already) // 10)

    def __enter__(self) -> _Progress:
        if not self.show:
            return self
        if self.quiet:
            print(f"run: {self.already}/{self.total} episodes already done, {self.total - self.already} to go",
                  file=sys.stderr, flush=True)
            return self
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("[bold]episodes"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("success {task.fields[success]}"), TextColumn("tokens {task.fields[tokens]}"),
                             TextColumn("cost ${task.fields[cost]}"), TextColumn("ETA"), TimeRemainingColumn(),
                             transient=False)
        self._bar.__enter__()
        self._task = self._bar.add_task("run", total=self.total, completed=self.already, success="-",
                                        tokens=0, cost="0.00")
        return self

    def update(self, tally: _Tally) -> None:
        if not self.show:
            return
        scored = tally.done - tally.infra
        rate = f"{tally.success / scored:.1%}" if scored else "-"
        if self._bar is not None:
            self._bar.update(self._task, completed=self.already + tally.done, success=rate,
                             tokens=f"{tally.tokens:,}", cost=f"{tally.cost:.2f}")
        elif tally.done >= self._next_log or self.already + tally.done == self.total:
            self._next_log = tally.done + self._step
            elapsed = time.monotonic() - self.started
            print(f"run: {self.already + tally.done}/{self.total} done, success {rate}, "
                  f"infra errors {tally.infra}, tokens {tally.tokens}, cost ${tally.cost:.2f}, "
                  f"{elapsed:.0f}s elapsed", file=sys.stderr, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
