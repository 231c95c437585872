"""RL integration: token-level rollouts, advantage estimators, vector envs, trainer adapters."""
