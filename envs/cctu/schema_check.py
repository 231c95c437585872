"""CCTU's argument checker: do a call's arguments fit the tool's JSON schema?

Stricter than JSON Schema's defaults on purpose, as CCTU's released checker is: an object never accepts keys
its schema does not declare (even without ``additionalProperties: false``), ``integer`` rejects floats and
booleans, and nested objects and array items are checked recursively. Every problem is reported with its
path so the model can fix the call.
"""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "array": (list,), "object": (dict,), "null": (type(None),),
}


def argument_problems(arguments: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Every way ``arguments`` breaks ``schema`` (empty when it fits)."""
    problems: list[str] = []
    where = f"'{path}'" if path else "the arguments"
    expected = schema.get("type")
    if expected is not None and not _is_type(arguments, expected):
        return [f"{where} should be of type {expected}, got {_type_name(arguments)}"]
    if "enum" in schema and arguments not in schema["enum"]:
        problems.append(f"{where} must be one of {schema['enum']}, got {arguments!r}")
    if isinstance(arguments, dict) and (expected == "object" or "properties" in schema):
        properties: dict[str, Any] = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in arguments:
                problems.append(f"missing required key '{_join(path, key)}'")
        for key, value in arguments.items():
            if key not in properties:
                problems.append(f"unexpected key '{_join(path, key)}' (allowed: {', '.join(properties) or 'none'})")
            else:
                problems.extend(argument_problems(value, properties[key], _join(path, key)))
    if isinstance(arguments, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(arguments):
            problems.extend(argument_problems(item, schema["items"], f"{path}[{i}]"))
    return problems


def _is_type(value: Any, expected: str | list[str]) -> bool:
    names = expected if isinstance(expected, list) else [expected]
    for name in names:
        kinds = _TYPES.get(name)
        if kinds is None:
            return True  # an unknown type name is not ours to police
        if isinstance(value, bool) and name in ("integer", "number"):
            continue
        if isinstance(value, kinds):
            return True
    return False


def _type_name(value: Any) -> str:
    for name, kinds in _TYPES.items():
        if isinstance(value, kinds) and not (isinstance(value, bool) and name in ("integer", "number")):
            return name
    return type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
