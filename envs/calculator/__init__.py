"""The calculator example env (see README.md)."""

from agentgym.envs.calculator.env import CalculatorEnv

__all__ = ["CalculatorEnv"]
