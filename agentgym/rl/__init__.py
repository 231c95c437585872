"""RL integration: token-level rollouts, advantage estimators, vector envs, trainer adapters.

    from agentgym.rl import collect
    batch = collect(server_url, "calculator", tasks=4, group_size=4, advantage="grpo")

See ``agentgym/rl/README.md`` for the data layout, the estimators and the TRL / verl adapters.
"""

from agentgym.rl.collect import ESTIMATORS, RolloutBatch, acollect, collect, spread, token_rewards, turn_advantages
from agentgym.rl.rollout import ChatGenerator, Checkpoint, Completion, Generator, TokenEpisode, branch, rollout
from agentgym.rl.tokens import TemplateDriftError, TokenTranscript, render_ids

__all__ = ["ESTIMATORS", "ChatGenerator", "Checkpoint", "Completion", "Generator", "RolloutBatch",
           "TemplateDriftError", "TokenEpisode", "TokenTranscript", "acollect", "branch", "collect", "render_ids",
           "rollout", "spread", "token_rewards", "turn_advantages"]
