"""Reports of one or more runs: a terminal table, and a self-contained HTML page with inline SVG plots.

Plots are hand-drawn SVG (no plotting library, no external assets) so the HTML opens anywhere, offline,
and diffs stay small: per-category success bars, the pass^k curve, the reward distribution and the
per-axis rubric scores, with several runs side by side.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from agentgym.runner.metrics import summarize
from agentgym.runner.rundir import RunDir
from agentgym.types import RunManifest

__all__ = ["RunSummary", "load_run", "print_scores", "render_html", "write_html"]

PALETTE = ("#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5")


@dataclass
class RunSummary:
    name: str
    path: Path
    manifest: RunManifest
    scores: dict[str, Any]
    rewards: list[float]


def load_run(path: str | Path) -> RunSummary:
    rd = RunDir(path)
    manifest = rd.read_manifest()
    scores = rd.read_scores()
    rewards = [s.reward for s in map(summarize, rd.trajectories()) if s.status != "infra_error"]
    policy = manifest.policy.get("model") or manifest.policy.get("name", "?")
    return RunSummary(f"{Path(path).name} ({policy})", Path(path), manifest, scores, rewards)


def _fmt(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def _ci(scores: dict[str, Any], key: str) -> str:
    lo_hi = scores.get("ci95", {}).get(key)
    return f" [{lo_hi[0]:.2f}, {lo_hi[1]:.2f}]" if lo_hi else ""


def headline_rows(runs: Sequence[RunSummary]) -> list[tuple[str, list[str]]]:
    """(metric, one cell per run) rows shared by the terminal table and the HTML page."""
    rows: list[tuple[str, list[str]]] = [
        ("env / split", [f"{r.manifest.env} / {r.manifest.split}" for r in runs]),
        ("policy", [json.dumps(r.manifest.policy)[:60] for r in runs]),
        ("noise", [", ".join(r.manifest.noise) or "clean" for r in runs]),
        ("episodes (tasks x samples)", [f"{r.scores.get('n_episodes')} ({r.scores.get('n_tasks')} x "
                                        f"{r.manifest.samples})" for r in runs]),
        ("success_rate [95% CI]", [_fmt(r.scores.get("success_rate")) + _ci(r.scores, "success_rate")
                                   for r in runs]),
        ("mean_reward [95% CI]", [_fmt(r.scores.get("mean_reward")) + _ci(r.scores, "mean_reward") for r in runs]),
    ]
    ks = sorted({k for r in runs for k in r.scores.get("pass_at_k", {})}, key=int)
    for k in ks:
        rows.append((f"pass@{k}", [_fmt(r.scores.get("pass_at_k", {}).get(k, "")) for r in runs]))
    for k in ks:
        rows.append((f"pass^{k}", [_fmt(r.scores.get("pass_hat_k", {}).get(k, "")) for r in runs]))
    headline = sorted({m for r in runs for m in _env_headline(r)})
    for m in headline:
        rows.append((m, [_fmt(r.scores.get(m, "")) for r in runs]))
    if any(r.scores.get("rubric") for r in runs):
        rows.append(("rubric total", [_fmt(r.scores.get("rubric", {}).get("total", "")) for r in runs]))
        for axis in sorted({a for r in runs for a in r.scores.get("rubric", {}).get("axes", {})}):
            rows.append((f"  {axis}", [_fmt(r.scores.get("rubric", {}).get("axes", {}).get(axis, ""))
                                       for r in runs]))
    rows.extend(robustness_rows(runs))
    rows.append(("infra errors (excluded)", [str(r.scores.get("n_infra_errors", 0)) for r in runs]))
    rows.append(("tokens", [f"{int(r.scores.get('usage', {}).get('prompt_tokens', 0) + r.scores.get('usage', {}).get('completion_tokens', 0)):,}"
                            for r in runs]))
    rows.append(("cost ($)", [f"{r.scores.get('usage', {}).get('cost', 0.0):.4f}" for r in runs]))
    return rows


_CORE_KEYS = {"success_rate", "mean_reward", "pass_at_k", "pass_hat_k", "ci95", "per_category", "per_split",
              "rubric", "n_episodes", "n_tasks", "n_infra_errors", "n_timeouts", "samples", "usage"}


def robustness_rows(runs: Sequence[RunSummary]) -> list[tuple[str, list[str]]]:
    """Clean vs noisy: each noisy run against the first clean run of the same env and split, episode by
    episode (same tasks, same seeds), with AgentNoiseBench's degradation and stability-gated success."""
    from agentgym.noise import robustness

    def clean_for(run: RunSummary) -> RunSummary | None:
        return next((c for c in runs if not c.manifest.noise and c.manifest.env == run.manifest.env
                     and c.manifest.split == run.manifest.split), None)

    pairs = {r.name: clean_for(r) for r in runs if r.manifest.noise}
    if not any(pairs.values()):
        return []
    reports: dict[str, dict[str, Any]] = {}
    for r in runs:
        clean = pairs.get(r.name)
        if clean is not None:
            reports[r.name] = robustness(list(RunDir(clean.path).trajectories()), list(RunDir(r.path).trajectories()))
    keys = [("success drop vs clean (abs)", "absolute_degradation"),
            ("success drop vs clean (rel)", "relative_degradation"),
            ("stability-gated success", "stability_gated_success_rate"),
            ("acted on an injection", "acted_on_injection_rate"),
            ("injections per episode", "mean_injections"),
            ("turn overhead per episode", "turn_overhead"), ("token overhead per episode", "token_overhead")]
    return [(label, [_fmt(reports[r.name].get(key, "")) if r.name in reports else "" for r in runs])
            for label, key in keys]


def _env_headline(run: RunSummary) -> list[str]:
    return [k for k, v in run.scores.items() if k not in _CORE_KEYS and isinstance(v, int | float)]


def print_scores(paths: Sequence[str | Path], console: Console | None = None) -> list[RunSummary]:
    """The terminal table: one column per run, plus per-category success rates."""
    console = console or Console()
    runs = [load_run(p) for p in paths]
    table = Table(title="agentgym report")
    table.add_column("metric")
    for r in runs:
        table.add_column(r.name)
    for metric, cells in headline_rows(runs):
        table.add_row(metric, *cells)
    console.print(table)
    cats = sorted({c for r in runs for c in r.scores.get("per_category", {})})
    if len(cats) > 1:
        ct = Table(title="success rate per category")
        ct.add_column("category")
        for r in runs:
            ct.add_column(r.name)
        for c in cats:
            ct.add_row(c, *[_fmt(r.scores.get("per_category", {}).get(c, {}).get("success_rate", ""))
                            for r in runs])
        console.print(ct)
    return runs


# ---------------------------------------------------------------------------------------------- SVG
def _svg_bars(groups: list[str], series: dict[str, list[float | None]], title: str, ymax: float = 1.0) -> str:
    """Grouped vertical bars: one group per label, one bar per run."""
    w, h, left, bottom, top = max(360, 70 * len(groups) * max(1, len(series)) // 2 + 80), 260, 44, 60, 28
    plot_w, plot_h = w - left - 10, h - bottom - top
    n = max(1, len(series))
    gw = plot_w / max(1, len(groups))
    bw = gw * 0.8 / n
    parts = [_axes(w, h, left, bottom, top, ymax, title)]
    for gi, g in enumerate(groups):
        x0 = left + gi * gw + gw * 0.1
        for si, (name, values) in enumerate(series.items()):
            v = values[gi]
            if v is None:
                continue
            bh = plot_h * min(v, ymax) / ymax
            parts.append(f'<rect x="{x0 + si * bw:.1f}" y="{top + plot_h - bh:.1f}" width="{bw - 1:.1f}" '
                         f'height="{bh:.1f}" fill="{PALETTE[si % len(PALETTE)]}"><title>{html.escape(name)} '
                         f'{html.escape(g)}: {v:.3f}</title></rect>')
        parts.append(f'<text x="{left + gi * gw + gw / 2:.1f}" y="{h - bottom + 14}" font-size="10" '
                     f'text-anchor="middle">{html.escape(g[:14])}</text>')
    parts.append(_legend(list(series), left, h - 22))
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img">{"".join(parts)}</svg>'


def _svg_lines(xs: list[int], series: dict[str, list[float | None]], title: str, xlabel: str) -> str:
    w, h, left, bottom, top = 420, 260, 44, 60, 28
    plot_w, plot_h = w - left - 20, h - bottom - top
    parts = [_axes(w, h, left, bottom, top, 1.0, title)]
    span = max(1, (xs[-1] - xs[0]) if xs else 1)

    def px(x: int) -> float:
        return left + (plot_w * (x - xs[0]) / span if len(xs) > 1 else plot_w / 2)

    for x in xs:
        parts.append(f'<text x="{px(x):.1f}" y="{h - bottom + 14}" font-size="10" text-anchor="middle">{x}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{h - bottom + 28}" font-size="10" '
                 f'text-anchor="middle">{html.escape(xlabel)}</text>')
    for si, (name, values) in enumerate(series.items()):
        pts = [(px(x), top + plot_h * (1 - v)) for x, v in zip(xs, values) if v is not None]
        color = PALETTE[si % len(PALETTE)]
        if len(pts) > 1:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                         + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
        for (a, b), x, v in zip(pts, xs, [v for v in values if v is not None]):
            parts.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color}"><title>{html.escape(name)} '
                         f'k={x}: {v:.3f}</title></circle>')
    parts.append(_legend(list(series), left, h - 12))
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img">{"".join(parts)}</svg>'


def _axes(w: int, h: int, left: int, bottom: int, top: int, ymax: float, title: str) -> str:
    plot_h = h - bottom - top
    out = [f'<text x="{w / 2:.0f}" y="16" font-size="13" font-weight="bold" text-anchor="middle">'
           f'{html.escape(title)}</text>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
           f'<line x1="{left}" y1="{top + plot_h}" x2="{w - 10}" y2="{top + plot_h}" stroke="#333"/>']
    for i in range(5):
        v = ymax * i / 4
        y = top + plot_h * (1 - i / 4)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{w - 10}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end">{v:.2g}</text>')
    return "".join(out)


def _legend(names: list[str], x: int, y: int) -> str:
    out, cx = [], x
    for i, name in enumerate(names):
        out.append(f'<rect x="{cx}" y="{y - 8}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{cx + 14}" y="{y + 1}" font-size="10">{html.escape(name[:40])}</text>')
        cx += 24 + 6 * min(40, len(name))
    return "".join(out)


def _histogram(runs: Sequence[RunSummary], bins: int = 10) -> str:
    values = [v for r in runs for v in r.rewards]
    lo, hi = min([0.0, *values]), max([1.0, *values])  # rewards usually live in [0, 1]: keep that scale
    width = (hi - lo) / bins
    labels = [f"{lo + i * width:.2g}–{lo + (i + 1) * width:.2g}" for i in range(bins)]
    series: dict[str, list[float | None]] = {}
    for r in runs:
        counts = [0] * bins
        for v in r.rewards:
            counts[min(bins - 1, int((v - lo) / width))] += 1
        total = max(1, len(r.rewards))
        series[r.name] = [c / total for c in counts]
    return _svg_bars(labels, series, "reward distribution (share of episodes per bin)")


def render_html(runs: Sequence[RunSummary]) -> str:
    """The whole report as one HTML string (no external files, scripts or fonts)."""
    rows = "".join(f"<tr><th>{html.escape(m)}</th>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
                   + "</tr>" for m, cells in headline_rows(runs))
    head = "".join(f"<th>{html.escape(r.name)}</th>" for r in runs)
    cats = sorted({c for r in runs for c in r.scores.get("per_category", {})})
    cat_svg = _svg_bars(cats, {r.name: [r.scores.get("per_category", {}).get(c, {}).get("success_rate")
                                        for c in cats] for r in runs}, "success rate per category")
    k_max = max((int(k) for r in runs for k in r.scores.get("pass_hat_k", {})), default=1)
    ks = list(range(1, k_max + 1))
    curve_svg = _svg_lines(ks, {r.name: [r.scores.get("pass_hat_k", {}).get(str(k)) for k in ks] for r in runs},
                           "pass^k (all k samples succeed)", "k")
    axes = sorted({a for r in runs for a in r.scores.get("rubric", {}).get("axes", {})})
    if axes:
        rubric_svg = _svg_bars(["total", *axes], {
            r.name: [r.scores.get("rubric", {}).get("total"),
                     *[r.scores.get("rubric", {}).get("axes", {}).get(a) for a in axes]] for r in runs},
            "rubric score per axis")
    else:
        rubric_svg = "<p>No rubric scores in these runs.</p>"
    manifests = "".join(f"<h3>{html.escape(r.name)}</h3><pre>{html.escape(r.manifest.model_dump_json(indent=2))}"
                        f"</pre>" for r in runs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>agentgym report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #ddd; padding: 4px 10px; text-align: left; font-size: 14px; }}
thead th {{ background: #f4f4f4; }}
.plots {{ display: flex; flex-wrap: wrap; gap: 24px; }}
pre {{ background: #f8f8f8; padding: 8px; font-size: 12px; overflow-x: auto; }}
</style></head><body>
<h1>agentgym report</h1>
<table><thead><tr><th>metric</th>{head}</tr></thead><tbody>{rows}</tbody></table>
<div class="plots">
<figure>{cat_svg}</figure>
<figure>{curve_svg}</figure>
<figure>{_histogram(runs)}</figure>
<figure>{rubric_svg}</figure>
</div>
<h2>Manifests</h2>{manifests}
</body></html>
"""


def write_html(paths: Sequence[str | Path], out: str | Path) -> Path:
    runs = [load_run(p) for p in paths]
    out = Path(out)
    out.write_text(render_html(runs), encoding="utf-8")
    return out
