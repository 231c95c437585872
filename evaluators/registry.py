"""The metrics a rubric may name, and the check that a criterion names one with valid params.

Rule metrics register themselves with ``@metric``; the registry is filled on first use (importing
``metrics`` and ``checklist``), so loading a rubric never depends on import order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    from agentgym.evaluators.schema import Criterion
    from agentgym.evaluators.view import TrajectoryView


@dataclass
class MetricValue:
    """A metric's value on one trajectory. ``value=None``: the metric does not apply (no gold data)."""

    value: float | None
    per_turn: dict[int, float] | None = None
    details: Any = None


MetricFn = Callable[["TrajectoryView", Any], MetricValue]


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class MetricSpec:
    name: str
    fn: MetricFn
    params: type[BaseModel]
    #: the judge prompt's name when the metric also has an LLM-judge version
    judgeable: bool


METRICS: dict[str, MetricSpec] = {}


def metric(name: str, params: type[BaseModel] = NoParams, judgeable: bool = False) -> Callable[[MetricFn], MetricFn]:
    def register(fn: MetricFn) -> MetricFn:
        METRICS[name] = MetricSpec(name, fn, params, judgeable)
        return fn
    return register


def _load() -> None:
    if not METRICS:
        from agentgym.evaluators import checklist, metrics  # noqa: F401  (registers)


def known_metrics() -> list[str]:
    _load()
    return sorted(METRICS)


def get_metric(name: str) -> MetricSpec:
    _load()
    return METRICS[name]


def parse_params(criterion: Criterion) -> Any:
    """The criterion's params as the metric's params model (raises ``ValueError`` when invalid)."""
    _load()
    if criterion.kind == "checklist":
        from agentgym.evaluators.checklist import ChecklistParams

        model: type[BaseModel] = ChecklistParams
    elif criterion.kind == "judge" and criterion.metric_name == "custom":
        from agentgym.evaluators.judge import CustomJudgeParams

        model = CustomJudgeParams
    else:
        model = METRICS[criterion.metric_name].params
    try:
        return model.model_validate(criterion.params)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}"
                             for e in exc.errors())
        raise ValueError(f"criterion {criterion.name!r} has bad params: {problems}") from None


def validate_criterion(criterion: Criterion) -> None:
    """Raise ``ValueError`` naming the criterion when its metric is unknown or its params are bad."""
    _load()
    name = criterion.metric_name
    if criterion.kind == "checklist":
        if criterion.metric not in (None, "checklist"):
            raise ValueError(f"criterion {criterion.name!r}: a checklist criterion takes no metric")
    elif criterion.kind == "judge":
        judgeable = sorted(n for n, s in METRICS.items() if s.judgeable) + ["custom"]
        if name not in judgeable:
            raise ValueError(f"criterion {criterion.name!r}: unknown judge metric {name!r}; "
                             f"known: {', '.join(judgeable)}")
    elif name not in METRICS:
        raise ValueError(f"criterion {criterion.name!r}: unknown metric {name!r}; "
                         f"known: {', '.join(sorted(METRICS))}")
    parse_params(criterion)
