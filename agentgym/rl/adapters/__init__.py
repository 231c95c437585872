"""Trainer adapters: TRL's GRPO ``rollout_func`` and verl's agent loop, both over ``agentgym.rl.rollout``."""
