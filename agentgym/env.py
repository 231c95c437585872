"""``AgentEnv``: the Gymnasium environment every agentgym env family subclasses.

An episode is a conversation. ``reset`` picks a task and returns the opening messages; ``step`` takes one
assistant message (text and/or tool calls), runs its tool calls in the world's sandbox, lets the simulated
user answer a final answer, and returns the new messages with the Gymnasium 5-tuple. Everything the model
did wrong (bad arguments, unknown tools, constraint violations) comes back as an observation; only misuse
of the API itself raises.

Subclasses fill in hooks: ``generate_tasks``, ``world_factory``, ``make_user``, ``check_tool_call``,
``check_final_answer``, ``turn_reward``, ``score`` and ``make_oracle``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import gymnasium
from gymnasium.utils import seeding

from agentgym.errors import (
    EpisodeFinishedError,
    EpisodeNotStartedError,
    InvalidActionError,
    UnknownSplitError,
    UnknownTaskError,
)
from agentgym.sandbox import LocalSandbox, Sandbox, SandboxSession, make_sandbox
from agentgym.simulators import UserSimulator, UserTurn
from agentgym.spaces import AssistantMessageSpace, MessagesSpace
from agentgym.taskstore import TaskList, builtin_task_root, load_tasks, task_set_hash
from agentgym.toolcall_parser import parse_tool_calls
from agentgym.types import (
    Message,
    NoiseEvent,
    Step,
    Task,
    ToolCall,
    ToolResult,
    Trajectory,
    Usage,
    Violation,
    fast_construct,
)
from agentgym.world import WorldSpec, tool_result

__all__ = ["AgentEnv", "Oracle", "ToolInterceptor", "Turn", "UserInterceptor", "derive_seed", "latest_tool_results",
           "to_message"]


def derive_seed(*parts: Any) -> int:
    """A 63-bit seed from any parts, via sha256 (stable across processes, unlike ``hash``)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def to_message(action: Message | dict[str, Any] | str) -> Message:
    """Read an action as an assistant message: a ``Message``, an OpenAI-style dict, or raw model text."""
    if isinstance(action, Message):
        msg = action
    elif isinstance(action, str):
        msg = Message.assistant(action)
    elif isinstance(action, dict):
        msg = _message_from_dict(action)
    else:
        raise InvalidActionError(
            f"an action must be a Message, a dict or a str, not {type(action).__name__}")
    if msg.role != "assistant":
        raise InvalidActionError(f"an action must be an assistant message, got role {msg.role!r}")
    if not msg.tool_calls and ("<tool_call>" in msg.content or "```" in msg.content):
        content, calls = parse_tool_calls(msg.content)
        if calls:
            msg = Message.assistant(content, calls)
    return msg


def _message_from_dict(d: dict[str, Any]) -> Message:
    calls = []
    for i, c in enumerate(d.get("tool_calls") or []):
        fn = c.get("function", c)
        args: Any = fn.get("arguments", {})
        parse_error = None
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError as exc:
                args, parse_error = {}, f"arguments are not valid JSON: {exc.msg} at char {exc.pos}"
        if not isinstance(args, dict):
            args, parse_error = {}, f"arguments must be a JSON object, got {type(args).__name__}"
        calls.append(fast_construct(ToolCall, id=str(c.get("id") or f"call_{i}"), name=str(fn.get("name") or ""),
                                    arguments=args, parse_error=parse_error or _str_or_none(c.get("parse_error"))))
    return Message.assistant(d.get("content") or "", calls) if d.get("role", "assistant") == "assistant" \
        else Message(role=d["role"], content=d.get("content") or "")


def headline_means(metrics: Iterable[dict[str, Any]], keys: Sequence[str]) -> dict[str, float]:
    """Each key's mean over the metric dicts where it is a number. One pass: ``metrics`` may be read lazily."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for m in metrics:
        for key in keys:
            value = m.get(key)
            if isinstance(value, int | float | bool):
                sums[key] = sums.get(key, 0.0) + float(value)
                counts[key] = counts.get(key, 0) + 1
    return {key: sums[key] / counts[key] for key in keys if key in counts}


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


class ToolInterceptor(Protocol):
    """Sees every tool call: ``before`` may answer instead of the tool, ``after`` may rewrite the result.

    Noise wrappers use this to inject failures without running (possibly mutating) tools.
    """

    def before(self, env: AgentEnv, call: ToolCall, turn: Turn) -> ToolResult | None: ...

    def after(self, env: AgentEnv, call: ToolCall, result: ToolResult, turn: Turn) -> ToolResult: ...


class UserInterceptor(Protocol):
    """Sees the user side: ``before`` may answer the assistant instead of the simulator (e.g. a noisy user
    clarifying what it said), ``on_user`` may rewrite the simulator's reply."""

    def before(self, env: AgentEnv, turn: Turn) -> UserTurn | None: ...

    def on_user(self, env: AgentEnv, message: Message, turn: Turn) -> Message: ...


class Oracle(Protocol):
    """Plays a task's gold solution, reacting to the observations it gets."""

    def act(self, messages: Sequence[Message]) -> Message: ...


def latest_tool_results(messages: Sequence[Message]) -> list[Message]:
    """The tool messages that end the conversation (the results of the last turn's calls), oldest first."""
    start = len(messages)
    while start > 0 and messages[start - 1].role == "tool":
        start -= 1
    return list(messages[start:])


@dataclass
class Turn:
    """The working state of one ``step``; hooks read and extend it."""

    index: int
    action: Message
    results: list[ToolResult | None] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # positions in action.tool_calls still to run
    violations: list[Violation] = field(default_factory=list)
    noise: list[NoiseEvent] = field(default_factory=list)
    feedback: list[Message] = field(default_factory=list)
    needs_user: bool = False
    user_reply: UserTurn | None = None
    terminated: bool = False
    info: dict[str, Any] = field(default_factory=dict)


class AgentEnv(gymnasium.Env):
    """Base class of agentgym environments. See the module docstring for the episode shape."""

    #: registry name, e.g. ``"cctu"``
    name: ClassVar[str] = ""
    version: ClassVar[str] = "0.1.0"
    splits: ClassVar[tuple[str, ...]] = ("test",)
    #: ``"module:WorldClass"`` the sandbox builds the world from; ``None`` for envs without tools
    world_factory: ClassVar[str | None] = None
    default_max_turns: ClassVar[int] = 20
    #: the env's own metrics reported next to ``success_rate`` in ``scores.json``
    headline_metrics: ClassVar[tuple[str, ...]] = ()
    #: the evaluators' rubric used when a run names none
    default_rubric: ClassVar[str | None] = None
    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"]}

    def __init__(self, split: str = "test", *, tasks: Sequence[Task] | None = None,
                 sandbox: str | Sandbox = "local", max_turns: int | None = None,
                 call_timeout: float | None = None, render_mode: str | None = None,
                 user_simulator: Callable[[Task], UserSimulator | None] | None = None):
        super().__init__()
        self._pending_seed: int | None = None
        self.split = split
        self._tasks: TaskList | None = None if tasks is None else (
            tasks if isinstance(tasks, TaskList) else TaskList(tasks))
        self._owns_sandbox = not isinstance(sandbox, Sandbox)
        self.sandbox: Sandbox | None = None
        self._sandbox_arg = sandbox
        self.call_timeout = call_timeout
        self.max_turns = max_turns or self.default_max_turns
        self.render_mode = render_mode
        self._user_factory = user_simulator
        self.observation_space = MessagesSpace()
        self.action_space = AssistantMessageSpace()
        self.tool_interceptors: list[ToolInterceptor] = []
        self.user_interceptors: list[UserInterceptor] = []
        self.noise_configs: list[str] = []  # specs of the noise wrappers around this env (for manifests)
        self.task: Task | None = None
        self.session: SandboxSession | None = None
        self.user: UserSimulator | None = None
        self.tool_specs: list[dict[str, Any]] = []
        self.messages: list[Message] = []
        self.initial_messages: list[Message] = []
        self.steps: list[Step] = []
        self.episode_id = ""
        self.episode_seed = 0
        self.sample = 0
        self.done = True
        self._started = False
        self.metrics: dict[str, Any] = {}

    # ------------------------------------------------------------------ tasks
    @classmethod
    def task_dir(cls) -> Path:
        """Folder of this env's task files. Third-party envs override it to point into their package."""
        return builtin_task_root() / cls.name

    @classmethod
    def generate_tasks(cls, split: str) -> list[Task]:
        """The deterministic generator behind ``tasks/<env>/<split>.jsonl``."""
        raise NotImplementedError(f"{cls.__name__} has no task generator")

    @classmethod
    def load_split(cls, split: str) -> list[Task]:
        path = cls.task_dir() / f"{split}.jsonl"
        if split not in cls.splits and not path.exists():
            raise UnknownSplitError(cls.name, split, list(cls.splits))
        return load_tasks(path)

    @property
    def tasks(self) -> TaskList:
        if self._tasks is None:
            self._tasks = TaskList(self.load_split(self.split))
        return self._tasks

    def get_task(self, task_id: str) -> Task:
        try:
            return self.tasks.by_id()[task_id]
        except KeyError:
            raise UnknownTaskError(self.name, self.split, task_id, [t.id for t in self.tasks]) from None

    @property
    def task_set_hash(self) -> str:
        return task_set_hash(self.tasks)

    # ------------------------------------------------------------------ hooks
    def world_spec(self, task: Task) -> WorldSpec | None:
        if self.world_factory is None:
            return None
        return WorldSpec(factory=self.world_factory, config={"state": task.world})

    def make_user(self, task: Task) -> UserSimulator | None:
        """The simulated user for a task; ``None`` means a final answer ends the episode."""
        return None

    def system_prompt(self, task: Task) -> str | None:
        return task.system_prompt

    def opening_messages(self, task: Task) -> list[Message]:
        msgs = []
        prompt = self.system_prompt(task)
        if prompt:
            msgs.append(Message.system(prompt))
        opening = self.user.opening() if self.user is not None else (
            Message.user(task.instruction) if task.instruction else None)
        if opening is not None:
            msgs.append(opening)
        return msgs

    def check_tool_call(self, call: ToolCall, turn: Turn) -> list[Violation]:
        """Validators that run before a call executes; a non-empty list blocks the call."""
        return []

    def blocked_call_message(self, call: ToolCall, violations: list[Violation]) -> str:
        return "; ".join(v.message for v in violations)

    def check_final_answer(self, message: Message, turn: Turn) -> list[Violation]:
        """Validators for an answer (a turn without tool calls); violations go back as feedback."""
        return []

    def feedback_message(self, violations: list[Violation]) -> Message:
        return Message.user("Your answer does not meet the requirements:\n" +
                            "\n".join(f"- {v.message}" for v in violations))

    def turn_reward(self, turn: Turn) -> dict[str, float]:
        """Per-turn reward components (kept apart, never pre-summed)."""
        return {}

    @classmethod
    def score(cls, trajectory: Trajectory) -> dict[str, Any]:
        """The env's episode metrics from a trajectory alone. Must include ``success`` (bool)."""
        raise NotImplementedError

    @classmethod
    def aggregate(cls, trajectories: Sequence[Trajectory]) -> dict[str, Any]:
        """Run-level headline metrics (``headline_metrics``): each one's mean over the trajectories that have
        it. An env that needs more than these means overrides it."""
        return headline_means((t.metrics for t in trajectories), cls.headline_metrics)

    def make_oracle(self, task: Task, **options: Any) -> Oracle:
        """An oracle that solves ``task`` (options are env-specific, e.g. ``handle_rollbacks``)."""
        raise NotImplementedError(f"{type(self).__name__} has no oracle")

    def episode_reward(self, metrics: dict[str, Any]) -> float:
        return float(metrics.get("reward", float(bool(metrics.get("success")))))

    # ------------------------------------------------------------------ gymnasium API
    # Seeding a numpy Generator costs ~35 µs, more than a whole env step, and most resets name their task
    # and never draw from it: the generator is made on first use, from the seed ``reset`` was given.
    @property  # type: ignore[override]
    def _np_random(self) -> Any:
        if self._pending_seed is not None:
            seed, self._pending_seed = self._pending_seed, None
            self.__dict__["_rng"], self._np_random_seed = seeding.np_random(seed)
        return self.__dict__.get("_rng")

    @_np_random.setter
    def _np_random(self, value: Any) -> None:
        self._pending_seed = None
        self.__dict__["_rng"] = value

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Start an episode. ``options``: ``task_id`` (else a task is drawn from the seed), ``sample``,
        ``episode_id``."""
        if seed is not None:  # gymnasium's Env.reset(seed), made lazy (see _np_random)
            self._pending_seed, self._np_random_seed = int(seed), int(seed)
        options = options or {}
        if "task_id" in options:
            task = self.get_task(options["task_id"])
        else:
            task = self.tasks[int(self.np_random.integers(len(self.tasks)))]
        self.task = task
        self.sample = int(options.get("sample", 0))
        self.episode_seed = int(seed) if seed is not None else int(self.np_random.integers(2**62))
        self.episode_id = options.get("episode_id") or f"{task.id}#{self.sample}"
        if self.session is not None:
            self.session.close()
            self.session = None
        spec = self.world_spec(task)
        if spec is not None:
            if self.sandbox is None:
                self.sandbox = make_sandbox(self._sandbox_arg)
            self.session = self.sandbox.open(spec)
            self.tool_specs = self.session.tool_specs()
        else:
            self.tool_specs = []
        self.user = self._user_factory(task) if self._user_factory else self.make_user(task)
        if self.user is not None:
            self.user.reset(task, derive_seed(self.episode_seed, "user"))
        self.steps = []
        self.metrics = {}
        for icpt in (*self.tool_interceptors, *self.user_interceptors):
            if hasattr(icpt, "reset"):
                icpt.reset(self)  # per-episode state (noise budgets) follows the episode seed
        self.initial_messages = self.opening_messages(task)
        self.messages = list(self.initial_messages)
        self.done = False
        self._started = True
        obs = [m.to_dict() for m in self.initial_messages]
        return obs, {"task_id": task.id, "episode_id": self.episode_id, "tools": self.tool_specs,
                     "max_turns": self.max_turns}

    def step(self, action: Message | dict[str, Any] | str
             ) -> tuple[list[dict[str, Any]], float, bool, bool, dict[str, Any]]:
        turn = self._begin(action)
        calls = turn.action.tool_calls
        for i in turn.pending:
            turn.results[i] = self._run_call(calls[i], self.session.call(calls[i], self.call_timeout)
                                             if self.session else None, turn)
        if turn.needs_user and self.user is not None:
            turn.user_reply = self._intercepted_user(turn) or self.user.respond(
                self.messages + [turn.action] + self._tool_messages(turn))
        return self._finish(turn)

    async def astep(self, action: Message | dict[str, Any] | str
                    ) -> tuple[list[dict[str, Any]], float, bool, bool, dict[str, Any]]:
        """``step`` for the async runner: tool calls and the user simulator are awaited, in call order."""
        turn = self._begin(action)
        calls = turn.action.tool_calls
        for i in turn.pending:
            result = await self.session.acall(calls[i], self.call_timeout) if self.session else None
            turn.results[i] = self._run_call(calls[i], result, turn)
        if turn.needs_user and self.user is not None:
            turn.user_reply = self._intercepted_user(turn) or await self.user.arespond(
                self.messages + [turn.action] + self._tool_messages(turn))
        return self._finish(turn)

    async def areset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
                     ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """``reset`` for the async runner. Opening a process or docker session blocks on I/O, so it runs in a
        worker thread and concurrent episodes start in parallel; the in-process backend stays inline."""
        if self._sandbox_arg == "local" or isinstance(self._sandbox_arg, LocalSandbox):
            return self.reset(seed=seed, options=options)
        return await asyncio.to_thread(self.reset, seed=seed, options=options)

    # ------------------------------------------------------------------ episode internals
    def _begin(self, action: Message | dict[str, Any] | str) -> Turn:
        if not self._started:
            raise EpisodeNotStartedError()
        if self.done:
            raise EpisodeFinishedError()
        msg = to_message(action)
        turn = Turn(index=len(self.steps), action=msg)
        if msg.tool_calls:
            turn.results = [None] * len(msg.tool_calls)
            for i, call in enumerate(msg.tool_calls):
                violations = self.check_tool_call(call, turn)
                if violations:
                    turn.violations.extend(violations)
                    turn.results[i] = tool_result(
                        call_id=call.id, name=call.name, error="constraint",
                        content=self.blocked_call_message(call, violations))
                    continue
                injected = None
                for icpt in self.tool_interceptors:
                    injected = icpt.before(self, call, turn)
                    if injected is not None:
                        break
                if injected is not None:
                    turn.results[i] = injected
                elif self.session is None:
                    turn.results[i] = tool_result(
                        call_id=call.id, name=call.name, error="unknown_tool",
                        content=f"unknown tool '{call.name}'; this environment has no tools")
                else:
                    turn.pending.append(i)
        else:
            violations = self.check_final_answer(msg, turn)
            if violations:
                turn.violations.extend(violations)
                turn.feedback.append(self.feedback_message(violations))
            elif self.user is not None:
                turn.needs_user = True
            else:
                turn.terminated = True
        return turn

    def _run_call(self, call: ToolCall, result: ToolResult | None, turn: Turn) -> ToolResult:
        assert result is not None
        for icpt in self.tool_interceptors:
            result = icpt.after(self, call, result, turn)
        return result

    def _intercepted_user(self, turn: Turn) -> UserTurn | None:
        for icpt in self.user_interceptors:
            reply = icpt.before(self, turn)
            if reply is not None:
                turn.info["user_intercepted"] = True
                return reply
        return None

    @staticmethod
    def _tool_messages(turn: Turn) -> list[Message]:
        return [r.to_message() for r in turn.results if r is not None]

    def record_noise(self, turn: Turn, event: NoiseEvent) -> None:
        turn.noise.append(event)

    def _finish(self, turn: Turn) -> tuple[list[dict[str, Any]], float, bool, bool, dict[str, Any]]:
        observation = self._tool_messages(turn) + turn.feedback
        if turn.user_reply is not None:
            turn.info["user"] = turn.user_reply.info
            if turn.user_reply.message is not None:
                reply = turn.user_reply.message
                if not turn.info.get("user_intercepted"):
                    for icpt in self.user_interceptors:
                        reply = icpt.on_user(self, reply, turn)
                observation.append(reply)
            turn.terminated = turn.terminated or turn.user_reply.done
        components = self.turn_reward(turn)
        terminated = turn.terminated
        truncated = not terminated and turn.index + 1 >= self.max_turns
        step = fast_construct(
            Step, index=turn.index, action=turn.action, observation=observation, reward=0.0,
            reward_components=components, violations=turn.violations, noise=turn.noise,
            terminated=terminated, truncated=truncated, usage=_zero_usage(), tokens=None, info=turn.info)
        self.steps.append(step)
        self.messages.append(turn.action)
        self.messages.extend(observation)
        info: dict[str, Any] = {"turn": turn.index, "reward_components": components}
        if turn.violations:
            info["violations"] = [v.model_dump() for v in turn.violations]
        errors = [r.error for r in turn.results if r is not None and r.error]
        if errors:
            info["errors"] = errors
        if turn.noise:
            info["noise"] = [n.model_dump() for n in turn.noise]
        reward = 0.0
        if terminated or truncated:
            self.done = True
            self.metrics = type(self).score(self.trajectory())
            reward = self.episode_reward(self.metrics)
            info["metrics"] = self.metrics
        step.reward = reward
        return [m.to_dict() for m in observation], reward, terminated, truncated, info

    # ------------------------------------------------------------------ trajectories and branching
    def trajectory(self) -> Trajectory:
        """The episode so far as a ``Trajectory`` (scores are filled in by the evaluators)."""
        if self.task is None:
            raise EpisodeNotStartedError()
        last = self.steps[-1] if self.steps else None
        return fast_construct(
            Trajectory, id=self.episode_id, env=self.name, env_version=self.version, task=self.task,
            sample=self.sample, seed=self.episode_seed, policy="", initial_messages=self.initial_messages,
            tools=self.tool_specs, steps=self.steps, terminated=bool(last and last.terminated),
            truncated=bool(last and last.truncated), status="completed", error=None,
            metrics=self.metrics, scores={}, usage=_zero_usage(), duration_s=0.0, started_at=None)

    def snapshot(self) -> dict[str, Any]:
        """The whole episode state (world, conversation, simulator), for branching rollouts."""
        if self.task is None:
            raise EpisodeNotStartedError()
        return {
            "task_id": self.task.id, "episode_id": self.episode_id, "seed": self.episode_seed,
            "sample": self.sample, "done": self.done,
            "world": self.session.snapshot() if self.session else None,
            "user": self.user.state() if self.user else None,
            "initial_messages": [m.model_dump() for m in self.initial_messages],
            "steps": [s.model_dump(mode="json") for s in self.steps],
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Return to a snapshot taken with ``snapshot`` (on this env or another one of the same class)."""
        if self.task is None or self.task.id != snapshot["task_id"]:
            self.reset(seed=snapshot["seed"], options={"task_id": snapshot["task_id"],
                                                       "sample": snapshot["sample"],
                                                       "episode_id": snapshot["episode_id"]})
        self.episode_id, self.episode_seed = snapshot["episode_id"], snapshot["seed"]
        self.sample, self.done = snapshot["sample"], snapshot["done"]
        if self.session is not None and snapshot["world"] is not None:
            self.session.restore(snapshot["world"])
        if self.user is not None and snapshot["user"] is not None:
            self.user.load_state(snapshot["user"])
        self.initial_messages = [Message.model_validate(m) for m in snapshot["initial_messages"]]
        self.steps = [Step.model_validate(s) for s in snapshot["steps"]]
        self.messages = list(self.initial_messages)
        for s in self.steps:
            self.messages.append(s.action)
            self.messages.extend(s.observation)
        self.metrics = type(self).score(self.trajectory()) if self.done else {}

    # ------------------------------------------------------------------ misc
    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        return "\n".join(f"[{m.role}] {m.content}" + "".join(
            f"\n  -> {c.name}({json.dumps(c.arguments)})" for c in m.tool_calls) for m in self.messages[-6:])

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
        if self.sandbox is not None and self._owns_sandbox:
            self.sandbox.close()
            self.sandbox = None
        super().close()


def _zero_usage() -> Usage:
    return fast_construct(Usage, prompt_tokens=0, completion_tokens=0, cost=0.0, latency_s=0.0, calls=0)
