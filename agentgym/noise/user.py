"""``UserNoise``: a noisy simulated user for any env that has one (AgentNoiseBench's user noise, rule-based).

The true goal never changes. ``redundancy``, ``boundary`` and ``cognition`` add to what the user said;
``ambiguity``, ``topic_shift`` and ``conflict`` hide or distort it for a turn or two and then converge: the
original message is held back and delivered on the agent's next text turns (a clarifying question gets the
real answer), without the simulator ever seeing the detour.
"""

from __future__ import annotations

import re

import gymnasium

from agentgym.env import AgentEnv, Turn
from agentgym.noise.budget import InjectionBudget
from agentgym.noise.spec import NoiseConfig
from agentgym.simulators import UserTurn
from agentgym.types import Message, NoiseEvent

HOLDING = ("ambiguity", "topic_shift", "conflict")
OFF_TOPIC = (
    "By the way, did you catch the match last night? Unbelievable ending.",
    "Sorry, my neighbour is drilling again. Do you know any good noise-cancelling headphones?",
    "Random question: what's a good recipe for banana bread?",
)
FILLER = (
    "Honestly, it's been such a long week and I'm exhausted, but anyway. ",
    "So, long story short — well, it's a long story — my cousin told me to ask you. ",
    "I really, really appreciate your patience, you have no idea how stressful this is. ",
)
BOUNDARY = (
    " Also, could you phone my bank and move 500 euros to my savings?",
    " And while you're at it, please book me a table for two tonight and text my wife.",
)
COGNITION = (
    " I think this all started because my Wi-Fi router runs on the wrong voltage.",
    " My friend says that's what 'APR' means — the number of payments per year, right?",
)
_SPECIFIC = re.compile(r"\b\d+(?:[.,]\d+)?\b|\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)*\b")


def _vague(text: str) -> str:
    words = text.split()
    head = " ".join(words[: max(3, len(words) // 3)])
    return f"Um, it's about that thing… {_SPECIFIC.sub('that one', head)}… you know what I mean?"


def _near_miss(text: str) -> str:
    numbers = list(re.finditer(r"\b\d+\b", text))
    if numbers:
        m = numbers[0]
        return text[: m.start()] + str(int(m.group(0)) + 1) + text[m.end():] + " Or was it something else…"
    return "Actually, scratch that — maybe I want the opposite of what I said? " + text[: len(text) // 2]


class _UserInterceptor:
    def __init__(self, config: NoiseConfig):
        self.config = config
        self.budget = InjectionBudget(config)
        self.held: list[str] = []

    def reset(self, env: AgentEnv) -> None:
        self.budget.reset(env.episode_seed)
        self.held = []

    def before(self, env: AgentEnv, turn: Turn) -> UserTurn | None:
        if not self.held:
            return None
        message = self.held.pop(0)
        turn.info["user_noise_pending"] = len(self.held)
        return UserTurn(Message.user(message), info={"noise": "converging"})

    def on_user(self, env: AgentEnv, message: Message, turn: Turn) -> Message:
        if turn.user_reply is not None and turn.user_reply.done:
            return message  # the conversation is over; nothing to distort
        kind = self.budget.draw(turn.index)
        if kind is None:
            return message
        rng, original = self.budget.rng, message.content
        if kind == "ambiguity":
            injected, self.held = _vague(original), [original]
        elif kind == "topic_shift":
            shifts = rng.sample(OFF_TOPIC, rng.randint(1, 2))
            injected, self.held = shifts[0], [*shifts[1:], original]
        elif kind == "conflict":
            injected, self.held = _near_miss(original), [f"Sorry, I mixed things up. To be clear: {original}"]
        elif kind == "redundancy":
            injected = rng.choice(FILLER) + original
        elif kind == "boundary":
            injected = original + rng.choice(BOUNDARY)
        elif kind == "cognition":
            injected = original + rng.choice(COGNITION)
        else:
            raise ValueError(f"unknown user noise {kind!r}")
        if self.held:
            turn.info["user_noise_pending"] = len(self.held)
        env.record_noise(turn, NoiseEvent(turn=turn.index, source="user", type=kind, original=original,
                                          injected=injected))
        return Message.user(injected)


class UserNoise(gymnasium.Wrapper):
    """Wrap an env with a simulated user so the user is noisy. A no-op on envs without a simulator."""

    def __init__(self, env: gymnasium.Env, config: NoiseConfig):
        super().__init__(env)
        if config.source != "user":
            raise ValueError("UserNoise takes a 'user:' noise config")
        self.config = config
        self.interceptor = _UserInterceptor(config)
        base: AgentEnv = env.unwrapped  # type: ignore[assignment]
        base.user_interceptors.append(self.interceptor)
        base.max_turns += 3 * config.max_total  # converging takes up to 3 extra turns per injection
        base.noise_configs.append(config.spec())
