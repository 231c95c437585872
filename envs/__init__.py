"""Environment families shipped with agentgym, installed as ``agentgym.envs``."""
