"""Find the code snippets in Markdown pages, and the convention that says which ones run.

* a ```` ```python ```` fence runs, unless the line before it is an HTML comment starting ``<!-- norun``
  (say why after it) or its info string has ``title="not run"``;
* a ```` ```bash ```` fence runs only when the line before it is ``<!-- run -->`` (most shell examples start
  servers or long runs; the cheap ones opt in);
* every other fence (``text``, ``json``, bare) is illustration.

The snippets of one page run in order as one ``__main__`` module (later ones may use earlier names, and a
class a snippet defines is importable as ``__main__:Name``), in a fresh temporary directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,})(?P<info>[^`]*)$")


@dataclass(frozen=True)
class Snippet:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    runs: bool
    marker: str  # the HTML comment on the line before the fence, if any (a norun marker says why)


def snippets(path: Path) -> list[Snippet]:
    lines = path.read_text().splitlines()
    out: list[Snippet] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        info = m["info"].strip()
        lang = info.split()[0] if info else ""
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(m["ticks"]):
            end += 1
        body = [ln[len(m["indent"]):] for ln in lines[i + 1:end]]
        prev = next((ln.strip() for ln in reversed(lines[:i]) if ln.strip()), "")
        if lang == "python":
            runs = not prev.startswith("<!-- norun") and 'title="not run"' not in info
        elif lang in ("bash", "sh", "shell"):
            runs = prev.startswith("<!-- run -->")
        else:
            runs = False
        marker = prev if prev.startswith("<!--") else ""
        out.append(Snippet(path, i + 1, lang, "\n".join(body) + "\n", runs, marker))
        i = end + 1
    return out


def python_script(path: Path) -> str:
    """One script that runs the page's Python snippets in order, each compiled under its page and line so a
    traceback points at the Markdown source."""
    parts = ["import os", "os.environ.setdefault('LITELLM_LOCAL_MODEL_COST_MAP', 'True')"]
    for s in snippets(path):
        if s.runs and s.lang == "python":
            parts.append(f"print('--- snippet {path.name}:{s.line}', flush=True)")
            parts.append(f"exec(compile({s.code!r}, {f'{path}:{s.line}'!r}, 'exec'))")
    return "\n".join(parts) + "\n"
