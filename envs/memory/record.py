"""One AMemGym user record, in the layout of AMemGym's released ``data.json``.

The task generator writes this layout and the official-data loader reads it, so generated and released
users go through exactly the same simulator and scorer. A record is validated once, on load, so that a
malformed file fails with the user id and the field instead of deep inside an episode.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agentgym.errors import ConfigError, TaskFileError


class _Lenient(BaseModel):
    # released files may carry extra bookkeeping fields; keep them instead of failing
    model_config = ConfigDict(extra="allow")


class Session(_Lenient):
    event: str = ""
    exposed_states: dict[str, str] = Field(default_factory=dict)
    query: str
    messages: list[dict[str, Any]] = Field(default_factory=list)
    session_time: str

    @field_validator("exposed_states", mode="before")
    @classmethod
    def _states_as_dict(cls, v: Any) -> Any:
        # some dumps list exposed info types as [{"info_type":..,"value":..}] or [[type, value]]
        if isinstance(v, list):
            out = {}
            for item in v:
                if isinstance(item, dict) and "info_type" in item:
                    out[item["info_type"]] = item.get("value", item.get("state"))
                elif isinstance(item, list | tuple) and len(item) == 2:
                    out[item[0]] = item[1]
                else:
                    raise ValueError("exposed_states items must be {info_type, value} or [info_type, value]")
            return out
        return v


class Period(_Lenient):
    period_start: str
    period_end: str
    state: dict[str, str]
    updates: dict[str, Any] = Field(default_factory=dict)
    sessions: list[Session] = Field(default_factory=list)


class AnswerChoice(_Lenient):
    state: list[str]
    answer: str


class QA(_Lenient):
    query: str
    required_info: list[str]
    answer_choices: list[AnswerChoice]
    type: str = ""

    @model_validator(mode="after")
    def _choices_fit(self) -> QA:
        if len(self.answer_choices) < 2:
            raise ValueError("a question needs at least two answer choices")
        for c in self.answer_choices:
            if len(c.state) != len(self.required_info):
                raise ValueError(f"answer choice state {c.state} does not have one value per required_info "
                                 f"{self.required_info}")
        return self


class UserRecord(_Lenient):
    id: str
    start_time: str
    user_profile: Any = ""
    state_schema: dict[str, list[str]]
    periods: list[Period]
    qas: list[QA]

    @model_validator(mode="after")
    def _consistent(self) -> UserRecord:
        if not self.periods:
            raise ValueError("a user needs at least one period")
        for pi, period in enumerate(self.periods):
            unknown = set(period.state) - set(self.state_schema)
            if unknown:
                raise ValueError(f"periods[{pi}].state names info types not in state_schema: {sorted(unknown)}")
        for qi, qa in enumerate(self.qas):
            missing = [k for k in qa.required_info if k not in self.state_schema]
            if missing:
                raise ValueError(f"qas[{qi}].required_info names info types not in state_schema: {missing}")
            for pi, period in enumerate(self.periods):
                gold = [period.state.get(k) for k in qa.required_info]
                if not any(c.state == gold for c in qa.answer_choices):
                    raise ValueError(f"qas[{qi}] has no answer choice for the state of periods[{pi}] ({gold})")
        return self

    def gold_choice(self, qa_index: int, period_index: int) -> int:
        """Index of the answer choice whose state vector equals the period's state (AMemGym's gold)."""
        qa = self.qas[qa_index]
        gold = [self.periods[period_index].state[k] for k in qa.required_info]
        return next(i for i, c in enumerate(qa.answer_choices) if c.state == gold)

    def required_variables(self) -> list[str]:
        """Every info type some question depends on, in first-use order (the ones the env probes)."""
        seen: dict[str, None] = {}
        for qa in self.qas:
            for k in qa.required_info:
                seen.setdefault(k, None)
        return list(seen)


def parse_record(raw: Any, where: str) -> UserRecord:
    try:
        return UserRecord.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(record)"
        raise TaskFileError(where, 0, f"AMemGym record field '{loc}': {err['msg']}") from None


def load_records(path: str | Path) -> list[UserRecord]:
    """Read AMemGym's released data: a JSON list of users, one user object, or JSON lines."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"AMemGym data file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise TaskFileError(str(path), exc.lineno, f"not valid JSON or JSON lines: {exc.msg}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise TaskFileError(str(path), 0, "expected a non-empty list of AMemGym user records")
    records = [parse_record(item, f"{path}[{i}]") for i, item in enumerate(data)]
    ids = [r.id for r in records]
    if len(set(ids)) != len(ids):
        raise TaskFileError(str(path), 0, "duplicate user ids in AMemGym data")
    return records
