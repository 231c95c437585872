"""Typed tools: schema from the signature and docstring, validation errors the model can act on."""

from __future__ import annotations

from typing import Literal

import jsonschema
import pytest
from pydantic import BaseModel

from agentgym.errors import ToolDefinitionError
from agentgym.tools import Tool, parse_docstring, tool
from agentgym.types import ToolCall
from agentgym.world import World


class Address(BaseModel):
    city: str
    zip: str | None = None


class Shop(World):
    @tool
    def find(self, query: str, limit: int = 5, sort: Literal["price", "rating"] = "price") -> list[str]:
        """Search the catalogue.

        Longer explanation that is not part of the description.

        Args:
            query: Words to search for.
            limit: At most this many results,
                counting from the best match.
            sort: Order of the results.
        """
        return [query] * limit

    @tool(mutates=True)
    def ship(self, item: str, to: Address) -> str:
        """Ship an item.

        :param item: The item id.
        :param to: Delivery address.
        """
        self.state.setdefault("shipped", []).append(item)
        return f"shipped {item} to {to.city}"


def test_schema_is_openai_function_calling_form():
    spec = Shop.tools["find"].spec
    assert spec.name == "find" and spec.description == "Search the catalogue." and not spec.mutates
    params = spec.parameters
    assert params["type"] == "object" and params["required"] == ["query"]
    assert params["properties"]["limit"] == {"default": 5, "description":
                                             "At most this many results, counting from the best match.",
                                             "type": "integer"}
    assert params["properties"]["sort"]["enum"] == ["price", "rating"]
    assert params["additionalProperties"] is False
    jsonschema.Draft202012Validator.check_schema(params)
    assert spec.to_openai()["function"]["name"] == "find"
    ship = Shop.tools["ship"].spec
    assert ship.mutates and ship.parameters["properties"]["to"]["description"] == "Delivery address."


def test_docstring_parsing_google_and_sphinx():
    desc, args = parse_docstring("""Do it.\n\nArgs:\n    a (int): first\n    b: second\n        more\n""")
    assert desc == "Do it." and args == {"a": "first", "b": "second more"}
    desc, args = parse_docstring("Do it.\n:param x: the x\n:returns: y")
    assert args == {"x": "the x"}


@pytest.mark.parametrize("arguments, expected", [
    ({"limit": 2}, "field 'query': Field required"),
    ({"query": "x", "limit": "many"}, "field 'limit': Input should be a valid integer"),
    ({"query": "x", "sort": "name"}, "field 'sort': Input should be 'price' or 'rating'"),
    ({"query": "x", "colour": "red"}, "field 'colour': Extra inputs are not permitted"),
])
def test_invalid_arguments_become_a_tool_error_naming_the_field(arguments, expected):
    result = Shop().call(ToolCall(id="1", name="find", arguments=arguments))
    assert result.error == "invalid_arguments"
    assert expected in result.content and "find" in result.content


def test_nested_object_validation_and_mutation():
    world = Shop()
    bad = world.call(ToolCall(id="1", name="ship", arguments={"item": "a", "to": {"zip": "1"}}))
    assert bad.error == "invalid_arguments" and "field 'to.city'" in bad.content
    ok = world.call(ToolCall(id="2", name="ship", arguments={"item": "a", "to": {"city": "Oslo"}}))
    assert ok.error is None and ok.content == "shipped a to Oslo" and world.state["shipped"] == ["a"]


def test_unknown_tool_lists_the_available_ones():
    result = Shop().call(ToolCall(id="1", name="buy", arguments={}))
    assert result.error == "unknown_tool" and "find, ship" in result.content


def test_tool_exceptions_and_parse_errors_are_observations():
    class Broken(World):
        @tool
        def boom(self) -> str:
            """Always fails."""
            raise RuntimeError("disk on fire")

    assert Broken().call(ToolCall(id="1", name="boom")).content == "RuntimeError: disk on fire"
    malformed = Broken().call(ToolCall(id="1", name="boom", parse_error="arguments are not valid JSON"))
    assert malformed.error == "malformed_call"


def test_unannotated_argument_is_a_definition_error():
    def f(x):  # type: ignore[no-untyped-def]
        """No types."""

    with pytest.raises(ToolDefinitionError, match="argument 'x' needs a type annotation"):
        Tool(f)


def test_plain_function_tool_keeps_working_as_a_function():
    @tool
    def double(x: int) -> int:
        """Double it.

        Args:
            x: A number.
        """
        return 2 * x

    assert double(4) == 8 and double.tool.validate({"x": "3"}) == {"x": 3}
