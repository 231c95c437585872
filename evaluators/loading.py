"""Finding and loading rubric files: ``load_rubric(path_or_name)`` and ``rubric_for(env)``.

A bare name (``"calculator"``) means ``evaluators/rubrics/<name>.yaml`` shipped with agentgym; anything
with a suffix or a slash is a path (so third-party envs can point ``default_rubric`` into their own
package). Every problem in a rubric file is a ``ConfigError`` naming the file and the criterion.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agentgym.errors import ConfigError
from agentgym.evaluators.schema import Rubric

RUBRIC_DIR = Path(__file__).parent / "rubrics"
DEFAULT_RUBRIC = "default"


def builtin_rubrics() -> list[str]:
    return sorted(p.stem for p in RUBRIC_DIR.glob("*.yaml"))


def resolve_rubric_path(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or text.endswith((".yaml", ".yml", ".json")):
        return Path(text)
    path = RUBRIC_DIR / f"{text}.yaml"
    if not path.exists():
        raise ConfigError(f"no rubric named {text!r} (looked for {path}); "
                          f"built-in rubrics: {', '.join(builtin_rubrics())}")
    return path


def load_rubric(source: str | Path | dict[str, Any] | Rubric) -> Rubric:
    """A rubric from a name, a YAML/JSON file, a dict, or a ``Rubric`` (returned as is)."""
    if isinstance(source, Rubric):
        return source
    if isinstance(source, dict):
        return rubric_from_data(source, origin="<dict>")
    path = resolve_rubric_path(source)
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(f"rubric file {path} cannot be read: {exc.strerror}") from None
    return _load_file(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=128)
def _load_file(path: str, mtime_ns: int, size: int) -> Rubric:
    """Parsed once per file version: rescoring many trajectories reuses the same rubric object."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ConfigError(f"rubric file {path} is not valid {'JSON' if path.endswith('.json') else 'YAML'}: "
                          f"{exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"rubric file {path} must hold a mapping with 'name' and 'criteria'")
    return rubric_from_data(data, origin=path)


def rubric_from_data(data: dict[str, Any], origin: str) -> Rubric:
    try:
        return Rubric.model_validate({**data, "source": origin})
    except ValidationError as exc:
        raise ConfigError(f"rubric {origin}: {_explain(exc, data)}") from None


def _explain(exc: ValidationError, data: dict[str, Any]) -> str:
    """Pydantic's errors with list positions replaced by criterion names."""
    problems = []
    criteria = data.get("criteria") if isinstance(data.get("criteria"), list) else []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "criteria" and isinstance(loc[1], int) and loc[1] < len(criteria):
            item = criteria[loc[1]]
            label = item.get("name", f"#{loc[1]}") if isinstance(item, dict) else f"#{loc[1]}"
            rest = ".".join(str(p) for p in loc[2:])
            where = f"criterion {label!r}" + (f" field {rest!r}" if rest else "")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        if msg.startswith("criterion "):  # the validator already named the criterion
            where = where.split(" field ")[0] if not where.startswith("criterion ") else ""
        problems.append(f"{where}: {msg}" if where else msg)
    return "; ".join(problems)


def rubric_for(env: type | str) -> Rubric:
    """The env's default rubric (its ``default_rubric`` class attribute), else the generic default."""
    if isinstance(env, str):
        from agentgym.registry import env_class

        env = env_class(env)
    name = getattr(env, "default_rubric", None)
    return load_rubric(name or DEFAULT_RUBRIC)
