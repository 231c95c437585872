"""JFTA-Bench: fault-tree malfunction diagnosis with a vague, sometimes mistaken technician (see README.md)."""

from agentgym.envs.faulttree.env import FaultTreeEnv
from agentgym.envs.faulttree.tree import FaultTree, FaultTreeError, parse_tree, render_tree

__all__ = ["FaultTree", "FaultTreeEnv", "FaultTreeError", "parse_tree", "render_tree"]
