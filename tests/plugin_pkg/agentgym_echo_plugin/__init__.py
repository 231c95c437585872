"""A third-party env: the agent must call ``echo`` with the task's word, then answer it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentgym import AgentEnv, Message, Task, ToolCall, Trajectory, World, tool


class EchoWorld(World):
    @tool
    def echo(self, word: str) -> str:
        """Repeat a word back.

        Args:
            word: The word to repeat.
        """
        return word


class EchoEnv(AgentEnv):
    name = "echo"
    world_factory = "agentgym_echo_plugin:EchoWorld"
    headline_metrics = ("success_rate",)

    @classmethod
    def task_dir(cls) -> Path:
        return Path(__file__).parent / "tasks"

    @classmethod
    def generate_tasks(cls, split: str) -> list[Task]:
        words = ["alpha", "beta", "gamma"]
        return [Task(id=f"echo-{w}", env="echo", split=split, instruction=f"Echo the word {w}.",
                     gold={"word": w}) for w in words]

    @classmethod
    def score(cls, trajectory: Trajectory) -> dict[str, Any]:
        word = trajectory.task.gold["word"]
        echoed = any(m.role == "tool" and m.content == word for m in trajectory.messages)
        answered = bool(trajectory.steps) and trajectory.steps[-1].action.content == word
        return {"success": echoed and answered}

    def make_oracle(self, task: Task, **options: Any) -> Any:
        return EchoOracle(task.gold["word"])


class EchoOracle:
    def __init__(self, word: str):
        self.word = word

    def act(self, messages: list[Message]) -> Message:
        if messages[-1].role == "tool" and messages[-1].content == self.word:
            return Message.assistant(self.word)
        return Message.assistant("", [ToolCall(id="e", name="echo", arguments={"word": self.word})])
