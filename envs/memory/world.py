"""The memory world: a key-value note store the assistant may use instead of (or besides) its context.

It runs in the sandbox like any world, so a memory-tool agent's notes are part of the episode state
(snapshots, branching) and are bounded: at most ``MAX_NOTES`` notes of ``MAX_VALUE`` characters.
"""

from __future__ import annotations

from typing import Any

from agentgym.tools import tool
from agentgym.world import World

MAX_NOTES = 1000
MAX_VALUE = 2000


class MemoryWorld(World):
    def _notes(self) -> dict[str, Any]:
        return self.state.setdefault("notes", {})

    @tool(mutates=True)
    def memory_write(self, key: str, value: str) -> str:
        """Save a note under a key, replacing any note already stored under that key.

        Args:
            key: A short name for the note, e.g. "diet".
            value: What to remember, e.g. "vegan since 2024-03".
        """
        notes = self._notes()
        if len(value) > MAX_VALUE:
            raise ValueError(f"a note may hold at most {MAX_VALUE} characters; shorten it")
        if key not in notes and len(notes) >= MAX_NOTES:
            raise ValueError(f"memory is full ({MAX_NOTES} notes); delete some with memory_delete")
        notes[key] = value
        return f"saved note '{key}'"

    @tool
    def memory_search(self, query: str = "", limit: int = 50) -> list[dict[str, str]]:
        """Find notes whose key or value contains any word of the query (all notes for an empty query).

        Args:
            query: Words to look for, case-insensitive.
            limit: At most this many notes are returned (1-500).
        """
        words = [w for w in query.lower().split() if w]
        limit = max(1, min(limit, 500))
        hits = [{"key": k, "value": v} for k, v in self._notes().items()
                if not words or any(w in f"{k} {v}".lower() for w in words)]
        return hits[:limit]

    @tool(mutates=True)
    def memory_delete(self, key: str) -> str:
        """Delete the note stored under a key.

        Args:
            key: The note's key.
        """
        notes = self._notes()
        if key not in notes:
            raise KeyError(f"no note named {key!r}")
        del notes[key]
        return f"deleted note '{key}'"
