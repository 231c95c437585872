"""The data that crosses agentgym's boundaries: messages, tool calls, tasks, trajectories, run manifests.

Every model here is pydantic v2 and round-trips through JSON losslessly, because trajectories are written
to disk, sent to the leaderboard and re-scored later by code that never saw the live episode.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant", "tool"]

#: Why a tool call failed. The kind decides how the failure is counted: ``infra`` is the harness's fault
#: and is retried; every other kind is the model's (or the tool's) and is part of the episode.
ErrorKind = Literal[
    "invalid_arguments",  # arguments failed schema validation
    "unknown_tool",  # the model called a tool the env does not offer
    "malformed_call",  # the call could not be parsed (bad JSON, no name)
    "tool_error",  # the tool raised
    "timeout",  # the tool exceeded its time budget
    "sandbox",  # the sandbox refused or killed the call (resources, forbidden syscall)
    "constraint",  # a constraint validator rejected the call before it ran
    "noise",  # an injected transient failure (noise wrappers)
    "infra",  # the harness itself failed
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


_M = TypeVar("_M", bound=BaseModel)


def fast_construct(cls: type[_M], **fields: Any) -> _M:
    """Build a model from already-valid data without validation, for the env's hot path.

    ``model_construct`` costs ~20 µs per call (it walks defaults); this costs ~1 µs. Every field must be
    given: callers are internal code that builds complete, trusted objects.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", fields)
    object.__setattr__(obj, "__pydantic_fields_set__", set(fields))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no whitespace: the form digests and hashes are computed over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_of(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


class ToolCall(_Model):
    """A call the model asked for. ``arguments`` is the parsed JSON object.

    When the model's arguments were not valid JSON, ``arguments`` is empty and ``parse_error`` says why,
    so the env can answer with a ``malformed_call`` tool error instead of crashing.
    """

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    parse_error: str | None = None


class ToolResult(_Model):
    """What running one tool call produced. ``error`` is set when the call failed."""

    call_id: str
    name: str
    content: str
    error: ErrorKind | None = None

    def to_message(self) -> Message:
        return fast_construct(Message, role="tool", content=self.content, tool_calls=[],
                              tool_call_id=self.call_id, name=self.name, error=self.error)


class Message(_Model):
    """One chat message, in the shape OpenAI-style chat APIs use."""

    role: Role
    content: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    error: ErrorKind | None = None

    def to_dict(self) -> dict[str, Any]:
        """Same as ``model_dump()``, several times faster (observations are built on every step)."""
        return {"role": self.role, "content": self.content,
                "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments, "parse_error": c.parse_error}
                               for c in self.tool_calls],
                "tool_call_id": self.tool_call_id, "name": self.name, "error": self.error}

    def to_openai(self) -> dict[str, Any]:
        """The message as an OpenAI chat-completions request item."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [
                {"id": c.id, "type": "function",
                 "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                for c in self.tool_calls
            ]
        if self.role == "tool":
            out["tool_call_id"] = self.tool_call_id
            if self.name:
                out["name"] = self.name
        return out

    @classmethod
    def system(cls, content: str) -> Message:
        return fast_construct(cls, role="system", content=content, tool_calls=[], tool_call_id=None,
                              name=None, error=None)

    @classmethod
    def user(cls, content: str) -> Message:
        return fast_construct(cls, role="user", content=content, tool_calls=[], tool_call_id=None,
                              name=None, error=None)

    @classmethod
    def assistant(cls, content: str = "", tool_calls: list[ToolCall] | None = None) -> Message:
        return fast_construct(cls, role="assistant", content=content, tool_calls=tool_calls or [],
                              tool_call_id=None, name=None, error=None)


class Usage(_Model):
    """Tokens, money and time spent producing something (one turn, one episode or one run)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    latency_s: float = 0.0
    calls: int = 0

    def __add__(self, other: Usage) -> Usage:
        return fast_construct(
            Usage, prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost=self.cost + other.cost, latency_s=self.latency_s + other.latency_s,
            calls=self.calls + other.calls,
        )


class TokenData(_Model):
    """Token-in/token-out record of one policy turn, as the server produced it (for RL)."""

    prompt_ids: list[int] = Field(default_factory=list)
    completion_ids: list[int] = Field(default_factory=list)
    logprobs: list[float] = Field(default_factory=list)


class Violation(_Model):
    """A constraint or policy rule the agent broke at some turn."""

    constraint: str  # the validator's name, e.g. "max_calls_per_tool"
    message: str
    dimension: str | None = None  # e.g. CCTU's resource / behavior / toolset / response
    category: str | None = None


class NoiseEvent(_Model):
    """One noise injection, logged so robustness can be analysed per injection."""

    turn: int
    source: Literal["tool", "user"]
    type: str
    tool: str | None = None
    call_id: str | None = None
    original: str
    injected: str


class Task(_Model):
    """One episode's specification. Tasks are data, never code (tool source shipped by a task is data too).

    ``world`` is the initial world state, ``gold`` everything a scorer or oracle needs, ``user`` the simulated
    user's profile and hidden goal. Env families put their own structure inside these dicts.
    """

    id: str
    env: str
    split: str
    seed: int = 0
    category: str | None = None
    instruction: str = ""
    system_prompt: str | None = None
    user: dict[str, Any] = Field(default_factory=dict)
    world: dict[str, Any] = Field(default_factory=dict)
    gold: dict[str, Any] = Field(default_factory=dict)
    constraints: list[dict[str, Any]] = Field(default_factory=list)
    noise: dict[str, Any] = Field(default_factory=dict)
    rubric: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Step(_Model):
    """One agent turn: the action, what the env answered, and what that turn earned."""

    index: int
    action: Message
    observation: list[Message] = Field(default_factory=list)
    reward: float = 0.0
    reward_components: dict[str, float] = Field(default_factory=dict)
    violations: list[Violation] = Field(default_factory=list)
    noise: list[NoiseEvent] = Field(default_factory=list)
    terminated: bool = False
    truncated: bool = False
    usage: Usage = Field(default_factory=Usage)
    tokens: TokenData | None = None
    info: dict[str, Any] = Field(default_factory=dict)


EpisodeStatus = Literal["completed", "infra_error", "timeout"]


class Trajectory(_Model):
    """A whole episode. It carries its task, so it alone is enough to re-score it."""

    id: str
    env: str
    env_version: str
    task: Task
    sample: int = 0
    seed: int = 0
    policy: str = ""
    initial_messages: list[Message] = Field(default_factory=list)
    tools: list[dict[str, Any]] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    terminated: bool = False
    truncated: bool = False
    status: EpisodeStatus = "completed"
    error: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)  # the env's own episode metrics
    scores: dict[str, Any] = Field(default_factory=dict)  # rubric output
    usage: Usage = Field(default_factory=Usage)
    duration_s: float = 0.0
    started_at: str | None = None

    @property
    def messages(self) -> list[Message]:
        """The full conversation in order."""
        out = list(self.initial_messages)
        for step in self.steps:
            out.append(step.action)
            out.extend(step.observation)
        return out

    @property
    def success(self) -> bool:
        return bool(self.metrics.get("success", False))

    def digest(self) -> str:
        """sha256 over the episode's content, leaving out timing and usage so that reruns compare equal."""
        data = self.model_dump(mode="json", exclude={"usage", "duration_s", "started_at", "scores"})
        for step in data["steps"]:
            step.pop("usage", None)
            step["info"] = {k: v for k, v in step["info"].items() if not k.endswith("latency_s")}
        return sha256_of(data)


class RunManifest(_Model):
    """Everything that determines a run's results. Resuming refuses a run whose ``config_hash`` differs."""

    run_id: str
    created_at: str
    agentgym_version: str
    env: str
    env_version: str
    split: str
    task_set_hash: str
    n_tasks: int
    samples: int = 1
    seed: int = 0
    policy: dict[str, Any] = Field(default_factory=dict)
    sandbox: str = "local"
    noise: list[str] = Field(default_factory=list)
    rubric: dict[str, Any] = Field(default_factory=dict)
    harness: dict[str, Any] = Field(default_factory=dict)
    env_kwargs: dict[str, Any] = Field(default_factory=dict)
    git_commit: str | None = None
    usage: Usage = Field(default_factory=Usage)

    def config_hash(self) -> str:
        """Hash of the fields that change results (not ids, dates or accumulated usage)."""
        data = self.model_dump(mode="json", exclude={"run_id", "created_at", "usage", "git_commit",
                                                      "agentgym_version"})
        return sha256_of(data)
