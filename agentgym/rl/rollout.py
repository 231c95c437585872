"""Token-level multi-turn rollouts: play one episode of an agentgym env and keep it as one token sequence.

The episode loop is the runner's (policy acts, env steps), with two differences that RL needs:

* every turn's tokens go into a ``TokenTranscript`` (loss mask, sampling logprobs, turn spans), and the
  server's ``prompt_token_ids`` are checked against it, so training sees exactly what the model saw;
* assistant turns go back to the model as the raw text it generated, and an env snapshot can be kept at
  the start of every turn, so ``branch`` can re-roll an episode from turn t with the same prefix.

Generation goes through a ``Generator``: ``ChatGenerator`` talks to an OpenAI-compatible server
(``agentgym serve`` or vLLM) with the ``openai-compatible`` policy; trainer adapters plug in their own
token-in/token-out engines (see ``adapters/verl.py``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from agentgym.env import AgentEnv, to_message
from agentgym.policies.base import Observation
from agentgym.policies.chat import openai_tools
from agentgym.policies.openai_compat import OpenAICompatiblePolicy
from agentgym.rl.tokens import OnDrift, TokenTranscript
from agentgym.types import Message, TokenData, Trajectory

RewardSource = Literal["env", "rubric"]


@dataclass
class Completion:
    """One generated turn: its ids and logprobs, the prompt ids the engine actually used (checked against the
    transcript when given) and, when the engine parsed it, the assistant message."""

    ids: list[int]
    logprobs: list[float]
    prompt_ids: list[int] | None = None
    message: Message | None = None


class Generator(Protocol):
    """Produces one turn. ``prompt_ids`` is the transcript so far (token-in engines use it directly; chat
    servers get ``history`` and ``tools`` and report the ids they rendered)."""

    async def generate(self, history: list[Message], tools: list[dict[str, Any]], prompt_ids: list[int], *,
                       seed: int, turn: int) -> Completion: ...


class ChatGenerator:
    """An OpenAI-compatible chat server that returns token ids (``agentgym serve``, vLLM)."""

    def __init__(self, policy: OpenAICompatiblePolicy):
        self.policy = policy

    async def generate(self, history: list[Message], tools: list[dict[str, Any]], prompt_ids: list[int], *,
                       seed: int, turn: int) -> Completion:
        out = await self.policy.act(Observation(episode_id="", messages=history, tools=tools, turn=turn,
                                                seed=seed))
        tokens = out.tokens or TokenData()
        return Completion(tokens.completion_ids, tokens.logprobs, tokens.prompt_ids, out.message)


@dataclass
class Checkpoint:
    """Where an episode stood at the start of a turn: the env state and the transcript's lengths."""

    env_snapshot: dict[str, Any]
    n_tokens: int
    n_messages: int
    n_turns: int


@dataclass
class TokenEpisode:
    """One episode for a trainer. Token arrays are aligned; ``turn_ends[t]`` indexes turn t's last generated
    token (where ``turn_rewards[t]`` lands; the episode reward lands on the last turn's end)."""

    task_id: str
    group_id: str
    sample: int
    seed: int
    token_ids: list[int]
    loss_mask: list[int]
    logprobs: list[float]
    turn_spans: list[tuple[int, int]]
    prompt_length: int
    turn_rewards: list[float]
    turn_reward_components: list[dict[str, float]]
    episode_reward: float
    trajectory: Trajectory
    messages: list[dict[str, Any]]
    history: list[Message]
    checkpoints: list[Checkpoint] = field(default_factory=list)
    drift: str | None = None

    @property
    def turn_ends(self) -> list[int]:
        return [end for _, end in self.turn_spans]

    @property
    def n_turns(self) -> int:
        return len(self.turn_spans)

    @property
    def metrics(self) -> dict[str, Any]:
        return self.trajectory.metrics


def load_tokenizer(spec: Any = None) -> Any:
    """A tokenizer object as is; ``None`` = the default SmolLM2 (shared with an in-process ``agentgym serve``);
    a path = a HF directory or a ``.gguf`` file."""
    if spec is not None and not isinstance(spec, str | Path):
        return spec
    if spec is None:
        from agentgym.serve.model import load_model

        return load_model(None).tokenizer
    from transformers import AutoTokenizer

    path = Path(spec)
    if path.suffix == ".gguf":
        return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    return AutoTokenizer.from_pretrained(str(path))


async def rollout(env: AgentEnv, generator: Generator, tokenizer: Any, task_id: str, *, sample: int = 0,
                  seed: int = 0, group_id: str | None = None, rubric: Any = None, reward: RewardSource = "env",
                  keep_checkpoints: bool = False, on_drift: OnDrift = "raise") -> TokenEpisode:
    """Play ``task_id`` on ``env`` to the end and return it token by token."""
    base = env.unwrapped
    await base.areset(seed=seed, options={"task_id": task_id, "sample": sample})
    tools = openai_tools(base.tool_specs) if base.tool_specs else None
    transcript = TokenTranscript(tokenizer, tools, on_drift=on_drift)
    history = list(base.initial_messages)
    transcript.start([m.to_openai() for m in history])
    checkpoints: list[Checkpoint] = []
    await _play(base, generator, transcript, history, checkpoints, seed=seed, keep_checkpoints=keep_checkpoints)
    return _episode(base, transcript, history, checkpoints, group_id or task_id, rubric, reward)


async def branch(env: AgentEnv, generator: Generator, episode: TokenEpisode, turn: int, tokenizer: Any, *,
                 seed: int, rubric: Any = None, reward: RewardSource = "env", on_drift: OnDrift = "raise"
                 ) -> TokenEpisode:
    """Re-roll ``episode`` from the start of ``turn`` (kept with ``keep_checkpoints=True``): the env is restored
    from that turn's snapshot and the token prefix is the stored one, then the policy plays on with ``seed``."""
    if not 0 <= turn < len(episode.checkpoints):
        raise ValueError(f"episode {episode.task_id}#{episode.sample} has checkpoints for turns "
                         f"0..{len(episode.checkpoints) - 1}; roll it out with keep_checkpoints=True")
    cp = episode.checkpoints[turn]
    base = env.unwrapped
    base.restore(copy.deepcopy(cp.env_snapshot))
    tools = openai_tools(base.tool_specs) if base.tool_specs else None
    transcript = TokenTranscript(tokenizer, tools, on_drift=on_drift,
                                 token_ids=episode.token_ids[:cp.n_tokens], loss_mask=episode.loss_mask[:cp.n_tokens],
                                 logprobs=episode.logprobs[:cp.n_tokens], turn_spans=episode.turn_spans[:cp.n_turns],
                                 messages=copy.deepcopy(episode.messages[:cp.n_messages]))
    history = list(episode.history[:cp.n_messages])
    checkpoints = list(episode.checkpoints[:turn])
    await _play(base, generator, transcript, history, checkpoints, seed=seed, keep_checkpoints=True)
    return _episode(base, transcript, history, checkpoints, episode.group_id, rubric, reward)


async def _play(env: AgentEnv, generator: Generator, transcript: TokenTranscript, history: list[Message],
                checkpoints: list[Checkpoint], *, seed: int, keep_checkpoints: bool) -> None:
    tools = list(env.tool_specs)
    while not env.done:
        turn = len(env.steps)
        if keep_checkpoints:
            checkpoints.append(Checkpoint(env.snapshot(), len(transcript.token_ids), len(transcript.messages),
                                          len(transcript.turn_spans)))
        comp = await generator.generate(history, tools, list(transcript.token_ids), seed=seed, turn=turn)
        if comp.prompt_ids is not None and not transcript.check_prompt(comp.prompt_ids):
            return  # drifted (on_drift="warn"): the episode ends where its tokens are still exact
        text = transcript.add_completion(comp.ids, comp.logprobs)
        history.append(Message.assistant(text))
        await env.astep(comp.message if comp.message is not None else to_message(text))
        env.steps[-1].tokens = TokenData(prompt_ids=list(transcript.token_ids[:transcript.turn_spans[-1][0]]),
                                         completion_ids=list(comp.ids), logprobs=list(comp.logprobs))
        if not env.done:
            new = env.steps[-1].observation
            transcript.add_messages([m.to_openai() for m in new])
            if transcript.drift is not None:
                return
            history.extend(new)


def _episode(env: AgentEnv, transcript: TokenTranscript, history: list[Message], checkpoints: list[Checkpoint],
             group_id: str, rubric: Any, reward: RewardSource) -> TokenEpisode:
    traj = env.trajectory()
    if not traj.metrics:  # stopped early (template drift): score what was played
        traj = traj.model_copy(update={"metrics": type(env).score(traj)})
    components = [dict(s.reward_components) for s in traj.steps]
    result = None
    if rubric is not None or reward == "rubric":
        from agentgym.evaluators import rubric_for

        result = (rubric or rubric_for(type(env))).score(traj)
        traj = traj.model_copy(update={"scores": result.model_dump(mode="json")})
        components = [dict(c) for c in result.per_turn]  # rubric per-turn credit plus the env's ``env.*``
    episode_reward = float(result.total) if reward == "rubric" and result is not None \
        else env.episode_reward(traj.metrics)
    return TokenEpisode(
        task_id=traj.task.id, group_id=group_id, sample=traj.sample, seed=traj.seed,
        token_ids=list(transcript.token_ids), loss_mask=list(transcript.loss_mask),
        logprobs=list(transcript.logprobs), turn_spans=list(transcript.turn_spans),
        prompt_length=transcript.prompt_length,
        turn_rewards=[float(sum(c.values())) for c in components[:len(transcript.turn_spans)]],
        turn_reward_components=components[:len(transcript.turn_spans)], episode_reward=episode_reward,
        trajectory=traj, messages=list(transcript.messages), history=list(history), checkpoints=checkpoints,
        drift=str(transcript.drift) if transcript.drift is not None else None)
