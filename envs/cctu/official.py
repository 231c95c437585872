"""Loader for CCTU's released data: ``input_data.jsonl`` plus a ``check_code/<id>/`` folder per case.

Each line has ``id``, ``messages`` (the prompt, constraints included), ``tools`` (JSON string of function
schemas), ``codes`` (JSON string: tool name -> Python source), ``unsolved_set`` (tool name -> gold strings),
``data_source``, ``answer`` and ``constraints_list`` ([dimension, category, description] triples).
``check_code/<id>/check_constraint_<i>.json`` holds checker parameters (``min_round``, ``max_callTimes``,
``max_calls_per_tool``, ``order_constraints``, ...); ``check_code/<id>/*.py`` defines response checkers
``validate_format`` / ``validate_punctuation`` / ``validate_identifiers(response) -> (bool, message)``,
which are task-supplied code and therefore run inside the task's sandbox (see ``world.py``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from agentgym.errors import TaskFileError
from agentgym.types import Task
from agentgym.envs.cctu.validators import CATEGORIES, build_validators

_REQUIRED = ("id", "messages", "tools", "codes")
_FUNCTION = re.compile(r"^def\s+(validate_\w+)\s*\(", re.MULTILINE)
_INDEX = re.compile(r"(\d+)$")


def load_official(path: str | Path, split: str = "test") -> list[Task]:
    """Tasks from a CCTU data folder (or its ``input_data.jsonl``); bad input fails with file and line."""
    path = Path(path)
    file = path / "input_data.jsonl" if path.is_dir() else path
    if not file.exists():
        raise FileNotFoundError(f"no CCTU data at {file}; pass the folder holding input_data.jsonl")
    tasks = []
    for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskFileError(str(file), lineno, f"not valid JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(raw, dict):
            raise TaskFileError(str(file), lineno, "each line must be a JSON object")
        tasks.append(_task(raw, file, lineno, split))
    return tasks


def _field(raw: dict[str, Any], key: str, file: Path, lineno: int) -> Any:
    value = raw[key]
    if isinstance(value, str) and key in ("tools", "codes"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise TaskFileError(str(file), lineno, f"field '{key}': not a JSON string ({exc.msg})") from None
    expected = list if key in ("tools", "messages") else dict
    if not isinstance(value, expected):
        raise TaskFileError(str(file), lineno, f"field '{key}': expected a {expected.__name__}")
    return value


def _task(raw: dict[str, Any], file: Path, lineno: int, split: str) -> Task:
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise TaskFileError(str(file), lineno, f"missing field(s) {', '.join(missing)}")
    task_id = str(raw["id"])
    messages = _field(raw, "messages", file, lineno)
    tools, codes = _field(raw, "tools", file, lineno), _field(raw, "codes", file, lineno)
    constraints_list = raw.get("constraints_list") or []
    constraints, checkers, unsupported = _checkers(file.parent / "check_code" / task_id, constraints_list)
    unsolved = {k: [v] if isinstance(v, str) else list(v) for k, v in (raw.get("unsolved_set") or {}).items()}
    system = next((m.get("content", "") for m in messages if m.get("role") == "system"), None)
    user = next((m.get("content", "") for m in messages if m.get("role") == "user"), "")
    return Task(id=task_id, env="cctu", split=split, category=raw.get("data_source"), instruction=user,
                system_prompt=system, world={"tools": tools, "codes": codes, "state": {}, "checkers": checkers},
                gold={"unsolved_set": unsolved, "answer": raw.get("answer")}, constraints=constraints,
                metadata={"messages": messages, "data_source": raw.get("data_source"),
                          "constraints_list": constraints_list, "unsupported_checkers": unsupported,
                          "official": True})


def _checkers(folder: Path, constraints_list: list[Any]
              ) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """Constraint entries from a case's checker files, the sandboxed checker sources, and what was skipped."""
    constraints: list[dict[str, Any]] = []
    checkers: dict[str, Any] = {}
    unsupported: list[str] = []
    if not folder.is_dir():
        return constraints, checkers, unsupported
    for f in sorted(folder.iterdir()):
        if f.suffix == ".json":
            params = json.loads(f.read_text(encoding="utf-8"))
            entries = [{"params": params}]
        elif f.suffix == ".py":
            source = f.read_text(encoding="utf-8")
            entries = []
            for fn in _FUNCTION.findall(source):
                key = f"{f.stem}:{fn}"
                checkers[key] = {"source": source, "function": fn}
                entries.append({"params": {"checker": key, "function": fn}})
        else:
            continue
        for entry in entries:
            try:
                validators = build_validators(entry)
            except ValueError:
                unsupported.append(f.name)
                continue
            category = validators[0].category
            entry.update(dimension=CATEGORIES[category][0], category=category,
                         description=_description(f.stem, category, constraints_list))
            constraints.append(entry)
    return constraints, checkers, unsupported


def _description(stem: str, category: str, constraints_list: list[Any]) -> str:
    """The constraint's wording from ``constraints_list``: by the file's index, else by category."""
    m = _INDEX.search(stem)
    if m and int(m.group(1)) < len(constraints_list):
        item = constraints_list[int(m.group(1))]
        if isinstance(item, list | tuple) and len(item) >= 3:
            return str(item[2])
    for item in constraints_list:
        if isinstance(item, list | tuple) and len(item) >= 3 and category.split("_")[0] in str(item[1]).lower():
            return str(item[2])
    return CATEGORIES[category][1]

