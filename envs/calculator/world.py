"""The calculator's world: arithmetic tools plus a small register file the agent can write to."""

from __future__ import annotations

from agentgym.tools import tool
from agentgym.world import World


class CalculatorWorld(World):
    @tool
    def add(self, a: float, b: float) -> float:
        """Add two numbers.

        Args:
            a: The first addend.
            b: The second addend.
        """
        return _clean(a + b)

    @tool
    def subtract(self, a: float, b: float) -> float:
        """Subtract b from a.

        Args:
            a: The minuend.
            b: The subtrahend.
        """
        return _clean(a - b)

    @tool
    def multiply(self, a: float, b: float) -> float:
        """Multiply two numbers.

        Args:
            a: The first factor.
            b: The second factor.
        """
        return _clean(a * b)

    @tool
    def divide(self, a: float, b: float) -> float:
        """Divide a by b.

        Args:
            a: The dividend.
            b: The divisor; must not be zero.
        """
        if b == 0:
            raise ZeroDivisionError("division by zero")
        return _clean(a / b)

    @tool
    def lookup(self, name: str) -> float:
        """Look up the value of a named constant from the task's table.

        Args:
            name: The constant's name, e.g. "rate".
        """
        table = self.state.get("constants", {})
        if name not in table:
            raise KeyError(f"no constant named {name!r}; known: {', '.join(sorted(table))}")
        return table[name]

    @tool(mutates=True)
    def store(self, slot: str, value: float) -> str:
        """Save a value in a named register for later steps.

        Args:
            slot: The register's name.
            value: The value to save.
        """
        self.state.setdefault("registers", {})[slot] = value
        return f"stored {value} in {slot}"


def _clean(x: float) -> float:
    """Round away float noise so answers compare as the same decimal string everywhere."""
    r = round(x, 6)
    return int(r) if r == int(r) else r
