"""Task data shipped with agentgym: ``<env>/<split>.jsonl`` files (see README.md)."""
