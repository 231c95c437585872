"""Typed errors. Each says what was wrong and what to do about it.

Errors caused by a *model's* output never surface as exceptions during an episode: the env turns them into
an observation (a tool error, a validation message). The exceptions below are for callers of the library.
"""

from __future__ import annotations


class AgentGymError(Exception):
    """Base class of every agentgym error."""


class UnknownEnvError(AgentGymError, KeyError):
    def __init__(self, name: str, known: list[str]):
        self.name, self.known = name, known
        super().__init__(f"unknown env {name!r}; known envs: {', '.join(sorted(known)) or '(none)'}")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class UnknownTaskError(AgentGymError, KeyError):
    def __init__(self, env: str, split: str, task_id: str, examples: list[str]):
        self.task_id = task_id
        hint = ", ".join(examples[:5])
        super().__init__(
            f"unknown task id {task_id!r} in {env}/{split}; "
            f"run `agentgym tasks {env} --split {split}` to list them (e.g. {hint})"
        )

    def __str__(self) -> str:
        return self.args[0]


class UnknownSplitError(AgentGymError, KeyError):
    def __init__(self, env: str, split: str, known: list[str]):
        super().__init__(f"env {env!r} has no split {split!r}; splits: {', '.join(known) or '(none)'}")

    def __str__(self) -> str:
        return self.args[0]


class TaskFileError(AgentGymError, ValueError):
    """A task file is corrupt or does not match the Task schema."""

    def __init__(self, path: str, line: int, problem: str):
        self.path, self.line, self.problem = path, line, problem
        super().__init__(f"{path}:{line}: {problem}")


class EpisodeFinishedError(AgentGymError, RuntimeError):
    def __init__(self) -> None:
        super().__init__("step() called on a finished episode; call reset() to start a new one")


class EpisodeNotStartedError(AgentGymError, RuntimeError):
    def __init__(self) -> None:
        super().__init__("step() called before reset(); call reset() first")


class InvalidActionError(AgentGymError, TypeError):
    """An action that cannot be read as an assistant message at all (a programming error, not model output)."""


class ToolDefinitionError(AgentGymError, TypeError):
    """A Python function cannot be turned into a tool (missing annotation, unsupported type)."""


class SandboxError(AgentGymError, RuntimeError):
    """The sandbox could not be started or stopped responding. An infrastructure error."""


class InfrastructureError(AgentGymError, RuntimeError):
    """A failure of the harness or a provider (429, 5xx, timeouts), not of the model.

    Runs record these apart from model failures and retry them on resume; they are never scored as 0.
    """

    def __init__(self, message: str, *, retryable: bool = True, status_code: int | None = None):
        self.retryable, self.status_code = retryable, status_code
        super().__init__(message)


class ConfigError(AgentGymError, ValueError):
    """A configuration (rubric file, noise spec, run options) is invalid."""


class RunMismatchError(AgentGymError, ValueError):
    """Resuming a run directory whose manifest was written by a different configuration."""


class RunBusyError(AgentGymError, RuntimeError):
    """Another run is writing the same run directory (two runs appending to one file would duplicate
    episodes)."""
