"""Rubric engine, metrics and judges: score whole trajectories, not only a final pass/fail.

    from agentgym.evaluators import rubric_for, score_trajectory
    scored = score_trajectory(trajectory)          # metrics + scores filled in
    result = rubric_for("calculator").score(trajectory)

See README.md in this folder for the rubric schema and the metrics.
"""

from agentgym.evaluators.engine import score_trajectory, score_with
from agentgym.evaluators.loading import builtin_rubrics, load_rubric, rubric_for
from agentgym.evaluators.schema import AXES, Criterion, JudgeConfig, Rubric, RubricResult

__all__ = ["AXES", "Criterion", "JudgeConfig", "Rubric", "RubricResult", "builtin_rubrics", "load_rubric",
           "rubric_for", "score_trajectory", "score_with"]
