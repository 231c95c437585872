"""One test per CCTU validator (12 categories, plus task-supplied checkers), each with passing and failing
cases, driven through ``build_validators`` from the checker-file parameters the tasks use."""

from __future__ import annotations

import pytest

from agentgym.envs.cctu.schema_check import argument_problems
from agentgym.envs.cctu.validators import CATEGORIES, DIMENSIONS, History, build_validators
from agentgym.types import ToolCall

SCHEMA = {"type": "object", "required": ["city", "route"], "properties": {
    "city": {"type": "string"}, "days": {"type": "integer"},
    "units": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    "route": {"type": "object", "required": ["origin"], "properties": {"origin": {"type": "string"}}},
    "tags": {"type": "array", "items": {"type": "string"}}}}
TOOLS = {"lookup": {"type": "object", "properties": {}}, "detail": {"type": "object", "properties": {}},
         "search": SCHEMA}


def one(params: dict):
    (v,) = build_validators({"params": params})
    return v


def call(name: str, **arguments) -> ToolCall:
    return ToolCall(id="c", name=name, arguments=arguments)


def hist(**kw) -> History:
    kw.setdefault("tools", TOOLS)
    return History(**kw)


def test_taxonomy_has_twelve_categories_in_four_dimensions():
    assert len(CATEGORIES) == 12
    assert {d for d, _ in CATEGORIES.values()} == set(DIMENSIONS)


def test_rounds_blocks_calls_past_the_maximum_and_answers_outside_the_range():
    v = one({"min_round": 3, "max_round": 4})
    assert v.check_call(call("lookup"), hist(rounds=3)) == []  # round 4 is allowed
    (bad,) = v.check_call(call("lookup"), hist(rounds=4))
    assert (bad.constraint, bad.dimension, bad.category) == ("max_round", "resource", "rounds")
    assert v.check_final("ok", hist(rounds=2)) == []
    assert v.check_final("ok", hist(rounds=1))[0].constraint == "min_round"
    assert v.check_final("ok", hist(rounds=4))[0].constraint == "max_round"


def test_call_count_limits_total_calls_including_this_turn():
    v = one({"min_callTimes": 2, "max_callTimes": 3})
    assert v.check_call(call("lookup"), hist(turns=[["lookup"]], current=["detail"])) == []
    (bad,) = v.check_call(call("lookup"), hist(turns=[["lookup", "detail"]], current=["detail"]))
    assert bad.constraint == "max_callTimes" and bad.category == "call_count"
    assert v.check_final("x", hist(turns=[["lookup"], ["detail"]])) == []
    assert v.check_final("x", hist(turns=[["lookup"], []]))[0].constraint == "min_callTimes"


def test_per_tool_limits_count_each_tool_separately():
    v = one({"max_calls_per_tool": {"lookup": 1}})
    assert v.check_call(call("lookup"), hist(turns=[["detail", "detail"]])) == []
    assert v.check_call(call("detail"), hist(turns=[["lookup"]])) == []
    (bad,) = v.check_call(call("lookup"), hist(turns=[[]], current=["lookup"]))
    assert bad.category == "per_tool_calls" and "at most 1" in bad.message


@pytest.mark.parametrize("unit,current,name,violates", [
    ("calls", ["lookup"], "lookup", False), ("calls", ["lookup", "lookup"], "detail", True),
    ("tool types", ["lookup", "lookup"], "detail", False), ("tool types", ["lookup", "detail"], "search", True),
])
def test_parallel_max_counts_calls_or_distinct_tools(unit, current, name, violates):
    v = one({"max_parallelCallTypes": 2, "unit": unit})
    out = v.check_call(call(name), hist(current=current))
    assert bool(out) is violates
    if out:
        assert (out[0].category, out[0].dimension) == ("parallel_calls", "behavior")


def test_parallel_min_needs_one_wide_enough_turn_before_answering():
    by_types = one({"min_parallelCallTypes": 2, "unit": "tool types"})
    assert by_types.check_final("x", hist(turns=[["lookup", "detail"], []])) == []
    assert by_types.check_final("x", hist(turns=[["lookup", "lookup"], []]))[0].constraint == "min_parallelCallTypes"
    by_calls = one({"min_parallelCallTypes": 2, "unit": "calls"})
    assert by_calls.check_final("x", hist(turns=[["lookup", "lookup"]])) == []


def test_sequential_dependency_needs_the_first_tool_in_an_earlier_turn():
    v = one({"order_constraints": [["lookup", "detail"]]})
    assert v.check_call(call("detail"), hist(turns=[["lookup"]])) == []
    assert v.check_call(call("lookup"), hist()) == []
    (bad,) = v.check_call(call("detail"), hist(current=["lookup"]))  # same turn is not "after"
    assert bad.category == "sequential_dependency"
    chain = one({"order_constraints": [{"before": "lookup", "after": "search"}]})
    assert chain.check_call(call("search"), hist())[0].constraint == "order_constraints"


def test_parallel_dependency_needs_the_whole_group_in_one_message():
    v = one({"parallel_groups": [["lookup", "detail"]]})
    assert v.check_call(call("lookup"), hist(message_calls=["lookup", "detail"])) == []
    assert v.check_call(call("search"), hist(message_calls=["search"])) == []
    (bad,) = v.check_call(call("detail"), hist(message_calls=["detail"]))
    assert bad.category == "parallel_dependency" and "'lookup'" in bad.message


def test_available_tools_blocks_unknown_names():
    v = one({"available_tools": True})
    assert v.check_call(call("lookup"), hist()) == []
    (bad,) = v.check_call(call("delete_everything"), hist())
    assert (bad.dimension, bad.category) == ("toolset", "available_tools")


def test_tool_arguments_check_required_extra_types_enums_and_nesting():
    v = one({"tool_arguments": True})
    good = {"city": "Oslo", "route": {"origin": "OSL"}, "units": "celsius", "days": 3, "tags": ["a"]}
    assert v.check_call(call("search", **good), hist()) == []
    cases = {
        "missing required key 'city'": {"route": {"origin": "OSL"}},
        "unexpected key 'color'": {**good, "color": "red"},
        "'days' should be of type integer": {**good, "days": 2.5},
        "'units' must be one of": {**good, "units": "kelvin"},
        "missing required key 'route.origin'": {**good, "route": {}},
        "unexpected key 'route.extra'": {**good, "route": {"origin": "OSL", "extra": 1}},
        "'tags[0]' should be of type string": {**good, "tags": [1]},
    }
    for expected, args in cases.items():
        (bad,) = v.check_call(call("search", **args), hist())
        assert expected in bad.message and bad.category == "tool_arguments", (expected, bad.message)
    unparsable = ToolCall(id="c", name="search", arguments={}, parse_error="bad JSON")
    assert "could not be parsed" in v.check_call(unparsable, hist())[0].message
    assert argument_problems(True, {"type": "integer"}) != []  # booleans are not integers


@pytest.mark.parametrize("params,text,ok", [
    ({"max_responseLength": 10, "unit": "characters"}, "short", True),
    ({"max_responseLength": 10, "unit": "characters"}, "far too long here", False),
    ({"min_responseLength": 3, "unit": "words"}, "one two three", True),
    ({"min_responseLength": 3, "unit": "words"}, "one two", False),
])
def test_length_in_characters_or_words(params, text, ok):
    out = one(params).check_final(text, hist())
    assert (out == []) is ok
    if out:
        assert (out[0].dimension, out[0].category) == ("response", "length")


@pytest.mark.parametrize("fmt,text,ok", [
    ("json", '{"answer": 1}', True), ("json", "answer: 1", False), ("json", "[1, 2]", False),
    ("markdown_list", "- a\n- b\n\n1. c", True), ("markdown_list", "- a\nplain line", False),
    ("markdown_list", "", False),
])
def test_format_json_and_markdown_list(fmt, text, ok):
    out = one({"format": fmt}).check_final(text, hist())
    assert (out == []) is ok and all(v.category == "format" for v in out)


@pytest.mark.parametrize("spec,text,ok", [
    ({"ends_with": "[END]"}, "The answer is 4. [END]  ", True), ({"ends_with": "[END]"}, "[END] then more", False),
    ({"boxed": True}, "so \\boxed{42}.", True), ({"boxed": True}, "\\boxed{1} or \\boxed{2}", False),
    ({"boxed": True}, "42", False),
])
def test_identifiers_marker_and_single_boxed_answer(spec, text, ok):
    out = one({"identifier": spec}).check_final(text, hist())
    assert (out == []) is ok and all(v.category == "identifiers" for v in out)


def test_punctuation_forbids_marks():
    v = one({"punctuation": {"forbidden": [",", "!"]}})
    assert v.check_final("Plain sentence.", hist()) == []
    (bad,) = v.check_final("Yes, great!", hist())
    assert bad.category == "punctuation" and ", !" in bad.message


def test_task_supplied_checker_runs_through_the_runner_it_is_given():
    v = one({"checker": "c4:validate_punctuation", "function": "validate_punctuation"})
    assert (v.dimension, v.category) == ("response", "punctuation")
    seen = []

    def runner(key, response):
        seen.append(key)
        return ("!" not in response, "no exclamation marks")

    assert v.check_final("calm.", hist(run_checker=runner)) == []
    (bad,) = v.check_final("wow!", hist(run_checker=runner))
    assert bad.message.endswith("no exclamation marks") and seen == ["c4:validate_punctuation"] * 2


def test_one_parameter_file_may_hold_several_checkers_and_unknown_keys_are_refused():
    kinds = {type(v).__name__ for v in build_validators({"params": {"max_round": 3, "max_callTimes": 2}})}
    assert kinds == {"Rounds", "CallCount"}
    with pytest.raises(ValueError, match="no known checker"):
        build_validators({"params": {"mystery": 1}})
