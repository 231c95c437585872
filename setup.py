"""Maps the top-level folders envs/, evaluators/, leaderboard/ and tasks/ under the agentgym namespace.

pyproject.toml cannot rename whole folder trees declaratively, so the package list is computed here.
"""
from setuptools import find_namespace_packages, setup

MAPPED = {
    "agentgym.envs": "envs",
    "agentgym.evaluators": "evaluators",
    "agentgym.leaderboard": "leaderboard",
    "agentgym.tasks": "tasks",
}
EXCLUDE = ["__pycache__", "*.__pycache__"]

packages = ["agentgym"] + [f"agentgym.{p}" for p in find_namespace_packages("agentgym", exclude=EXCLUDE)]
for name, folder in MAPPED.items():
    packages += [name] + [f"{name}.{p}" for p in find_namespace_packages(folder, exclude=EXCLUDE)]

setup(packages=packages, package_dir={"agentgym": "agentgym", **MAPPED})
