"""Inline SVG charts for the server-rendered pages (no JavaScript or build step needed to draw them)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from markupsafe import Markup

_W, _LABEL, _ROW = 640, 190, 26


def bar_chart(items: Sequence[tuple[str, float | None]], *, title: str, css_class: str = "bars") -> Markup:
    """Horizontal bars for values in [0, 1], one row per (label, value)."""
    plot_w = _W - _LABEL - 60
    height = _ROW * len(items) + 10
    parts = [f'<svg class="{css_class}" role="img" aria-label="{escape(title)}" width="{_W}" height="{height}" '
             f'viewBox="0 0 {_W} {height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = 5 + i * _ROW
        v = 0.0 if value is None else max(0.0, min(1.0, float(value)))
        text = "n/a" if value is None else f"{float(value):.3f}"
        parts.append(
            f'<g class="bar" data-label="{escape(label)}" data-value="{"" if value is None else float(value)!r}">'
            f'<text x="{_LABEL - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{_LABEL}" y="{y + 3}" width="{plot_w}" height="{_ROW - 8}" class="track"/>'
            f'<rect x="{_LABEL}" y="{y + 3}" width="{v * plot_w:.1f}" height="{_ROW - 8}" class="fill"/>'
            f'<text x="{_LABEL + plot_w + 6}" y="{y + 16}">{text}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def comparison_plot(rows: Sequence[dict[str, Any]], *, title: str) -> Markup:
    """Success rate with its 95% CI (whisker) and pass^k (diamond) per submission, on one [0, 1] axis."""
    plot_w = _W - _LABEL - 30
    top, height = 24, 24 + _ROW * len(rows) + 30
    x = lambda v: _LABEL + float(v) * plot_w  # noqa: E731
    parts = [f'<svg class="compare" role="img" aria-label="{escape(title)}" width="{_W}" height="{height}" '
             f'viewBox="0 0 {_W} {height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 6}" y2="{height - 24}" '
                     f'class="grid"/><text x="{x(tick):.1f}" y="{height - 8}" text-anchor="middle">{tick:g}</text>')
    for i, row in enumerate(rows):
        y = top + i * _ROW + _ROW / 2
        label = f"{row['model']} ({row['harness'].get('policy', {}).get('name', '?')}, k={row['samples']})"
        parts.append(f'<g class="point" data-model="{escape(row["model"])}" data-id="{row["id"]}" '
                     f'data-success="{row["success_rate"]:.4f}">'
                     f'<text x="{_LABEL - 8}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')
        lo, hi = row["ci95"]
        if lo is not None and hi is not None:
            parts.append(f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{y}" y2="{y}" class="ci"/>'
                         f'<line x1="{x(lo):.1f}" x2="{x(lo):.1f}" y1="{y - 5}" y2="{y + 5}" class="ci"/>'
                         f'<line x1="{x(hi):.1f}" x2="{x(hi):.1f}" y1="{y - 5}" y2="{y + 5}" class="ci"/>')
        if row.get("pass_hat_k") is not None:
            px = x(row["pass_hat_k"])
            parts.append(f'<path d="M{px:.1f},{y - 6} l6,6 l-6,6 l-6,-6 z" class="passk">'
                         f'<title>pass^k {row["pass_hat_k"]:.3f}</title></path>')
        parts.append(f'<circle cx="{x(row["success_rate"]):.1f}" cy="{y}" r="5" class="success">'
                     f'<title>success {row["success_rate"]:.3f}</title></circle></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
