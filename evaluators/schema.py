"""The rubric as data: pydantic models for rubric files and for the scores a rubric produces.

A rubric file (YAML or JSON) lists criteria. Each criterion has a ``name`` (the key in the scores), an
``axis`` (FinTrace's four axes by default, any identifier allowed), a ``kind`` (``rule``: exact and
deterministic; ``checklist``: CM2-style binary evidence-grounded checks; ``judge``: an LLM judge, or the
metric's documented deterministic approximation when no judge model is configured), a ``metric`` (which
implementation; defaults to the name), a ``weight`` and ``params``. A criterion with ``gate: true`` zeroes
the total when its value is below ``threshold``. The rubric's ``combine`` is ``weighted_sum`` (weighted mean
of the criteria) or ``product`` (the product of values raised to their weights).

The schema is strict (unknown fields are errors) so a typo in a rubric file fails loudly when it loads.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agentgym.types import sha256_of

#: FinTrace's four axes; rubrics may add their own (e.g. ``constraint_compliance``).
AXES = ("action_correctness", "execution_efficiency", "process_quality", "output_quality")

_IDENT = r"^[A-Za-z_][A-Za-z0-9_.\-]*$"


class JudgeConfig(BaseModel):
    """Which model judges ``kind: judge`` criteria, and how. ``model: null`` means no judge: every judge
    criterion uses its deterministic approximation (recorded as such in the scores)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = Field(default=None, repr=False, exclude=True)
    temperature: float = 0.0
    max_retries: int = Field(default=2, ge=0, le=10)
    timeout_s: float = Field(default=60.0, gt=0)
    #: where cached judgements live; default ``$AGENTGYM_JUDGE_CACHE`` or ``~/.cache/agentgym/judge``
    cache_dir: str | None = None
    #: price override for models litellm's cost map does not know (self-hosted, fakes)
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    #: the transcript shown to the judge is cut to this many characters (middle elided)
    max_transcript_chars: int = Field(default=16000, ge=1000)

    def identity(self) -> dict[str, Any]:
        """The fields that change a judgement (and so go into the rubric hash and the cache key)."""
        return {"model": self.model, "temperature": self.temperature}


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_IDENT)
    axis: str = Field(default="output_quality", pattern=_IDENT)
    kind: Literal["rule", "checklist", "judge"]
    metric: str | None = None
    weight: float = Field(default=1.0, ge=0.0, allow_inf_nan=False)
    gate: bool = False
    threshold: float = Field(default=1.0, ge=0.0, le=1.0)
    params: dict[str, Any] = Field(default_factory=dict)
    description: str = ""

    @model_validator(mode="after")
    def _known_metric(self) -> Criterion:
        from agentgym.evaluators.registry import validate_criterion

        validate_criterion(self)
        return self

    @property
    def metric_name(self) -> str:
        return self.metric or (self.name if self.kind != "checklist" else "checklist")


class Rubric(BaseModel):
    """A scoring recipe for trajectories. ``Rubric.score(trajectory)`` returns a ``RubricResult``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_IDENT)
    version: str = "1"
    description: str = ""
    combine: Literal["weighted_sum", "product"] = "weighted_sum"
    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    criteria: list[Criterion] = Field(min_length=1)
    #: the file the rubric was loaded from (for error messages; not part of the hash)
    source: str | None = Field(default=None, exclude=True)

    @field_validator("version", mode="before")
    @classmethod
    def _version_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        seen: set[str] = set()
        for c in self.criteria:
            if c.name in seen:
                raise ValueError(f"criterion {c.name!r} is defined twice")
            seen.add(c.name)
        if not any(c.weight > 0 for c in self.criteria):
            raise ValueError("at least one criterion needs a weight > 0 (gates alone define no total)")
        return self

    @cached_property
    def rubric_hash(self) -> str:
        """sha256 of the canonical rubric: what it scores and how, not where it was loaded from."""
        data = self.model_dump(mode="json", exclude={"judge"})
        data["judge"] = self.judge.identity()
        return sha256_of(data)

    def with_judge(self, model: str | None, **settings: Any) -> Rubric:
        """The same rubric judged by ``model`` (``None``: deterministic approximations only)."""
        judge = {**self.judge.model_dump(), "api_key": self.judge.api_key, "model": model, **settings}
        data = {**self.model_dump(exclude={"judge"}), "judge": judge, "source": self.source}
        return Rubric.model_validate(data)  # a fresh model, so the cached hash is recomputed

    def score(self, trajectory: Any) -> RubricResult:
        """Score one trajectory (``metrics`` are computed with the env's ``score`` when missing)."""
        from agentgym.evaluators.engine import score_with

        return score_with(self, trajectory)


class RubricResult(BaseModel):
    """What a rubric made of one trajectory. Stored as ``Trajectory.scores``."""

    model_config = ConfigDict(extra="forbid")

    rubric: str
    rubric_hash: str
    total: float
    axes: dict[str, float] = Field(default_factory=dict)
    criteria: dict[str, float] = Field(default_factory=dict)
    #: one dict per step: per-turn values of the criteria that have them, plus the env's own
    #: ``Step.reward_components`` under ``env.<key>`` (for RL credit assignment)
    per_turn: list[dict[str, float]] = Field(default_factory=list)
    #: gate criteria and whether each passed
    gates: dict[str, bool] = Field(default_factory=dict)
    #: criteria that did not apply (e.g. no gold calls in the task); left out of total and axes
    skipped: list[str] = Field(default_factory=list)
    #: evidence per criterion (matching, checklist items with the turn that satisfied them, ...)
    details: dict[str, Any] = Field(default_factory=dict)
    #: per judge criterion: mode (judge | approximation), model, prompt version, cached, cost, reason
    judges: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: money spent on judge calls for this result (0 when every judgement came from the cache)
    cost: float = 0.0

    def to_scores(self) -> dict[str, Any]:
        """The JSON form stored as ``Trajectory.scores`` (same as ``model_dump(mode="json")``, without the
        serialiser's cost: the engine only ever puts JSON-native values in a result)."""
        return {name: getattr(self, name) for name in type(self).model_fields}


def finite01(x: float) -> float:
    """Clamp to [0, 1]; NaN is a programming error in a metric, so it is refused loudly."""
    if math.isnan(x):
        raise ValueError("metric produced NaN")
    return 0.0 if x < 0 else 1.0 if x > 1 else float(x)
