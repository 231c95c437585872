"""Deterministic text measures behind the sales env's turn rewards (all in [0, 1]).

- ``repetition``: inter-sentence n-gram overlap with the agent's previous turns. For every sentence of the
  turn with at least ``n`` tokens, the share of its word n-grams (n = 3) already used in an earlier agent
  turn; the turn's value is the mean over those sentences (0 when it has none).
- ``fluency``: a cheap, documented proxy for well-formed text (no LM): the mean of five checks — length in
  3..150 words; share of sentences that start with a capital or digit; share of words not immediately
  repeated; type/token ratio ≥ 0.5 (linear below); ends with terminal punctuation. An LM or judge scorer
  can replace it; the proxy exists so rewards are reproducible offline.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z0-9$%][a-z0-9$%'.,\-]*", re.IGNORECASE)
_PRICE = re.compile(r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)")
_PERCENT_OFF = re.compile(r"(\d+(?:\.\d+)?)\s?%\s*(?:off|discount)", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def tokens(text: str) -> list[str]:
    return [w.strip(".,").lower() for w in _WORD.findall(text) if w.strip(".,")]


def ngrams(words: list[str], n: int = 3) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def history_ngrams(previous_turns: Iterable[str], n: int = 3) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for turn in previous_turns:
        for s in sentences(turn):
            out |= ngrams(tokens(s), n)
    return out


def repetition(text: str, previous: set[tuple[str, ...]], n: int = 3) -> float:
    scores = []
    for s in sentences(text):
        grams = ngrams(tokens(s), n)
        if grams:
            scores.append(len(grams & previous) / len(grams))
    return sum(scores) / len(scores) if scores else 0.0


def fluency(text: str) -> float:
    words = tokens(text)
    if not words:
        return 0.0
    sents = sentences(text)
    checks = [
        1.0 if 3 <= len(words) <= 150 else 0.0,
        sum(1 for s in sents if s[:1].isupper() or s[:1].isdigit() or s[:1] in "$\"'") / len(sents),
        1.0 - sum(1 for a, b in zip(words, words[1:]) if a == b) / len(words),
        min(1.0, (len(set(words)) / len(words)) / 0.5),
        1.0 if text.rstrip()[-1:] in ".!?" else 0.0,
    ]
    return sum(checks) / len(checks)


def prices(text: str) -> list[float]:
    return [float(m.replace(",", "")) for m in _PRICE.findall(text)]


def percents_off(text: str) -> list[float]:
    return [float(m) for m in _PERCENT_OFF.findall(text)]


def mentions(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` as whole words (case-insensitive)."""
    low, p = text.lower(), phrase.lower()
    return p in low and _phrase_pattern(p).search(low) is not None


@functools.lru_cache(maxsize=1024)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])")
