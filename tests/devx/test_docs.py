"""The documentation site builds with ``mkdocs build --strict`` and every runnable snippet in it — and in
README.md and the env cards — runs (see docs_snippets.py for the ``<!-- norun -->`` / ``<!-- run -->``
convention)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from docs_snippets import python_script, snippets

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"] + sorted((ROOT / "envs").glob("*/README.md"))


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def _env() -> dict[str, str]:
    """The venv's scripts (``agentgym``) first on PATH, litellm offline, no colour codes in outputs."""
    bindir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "NO_COLOR": "1",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True", "NO_MKDOCS_2_WARNING": "1", "COLUMNS": "120"}


def test_the_site_builds_strictly_with_generated_env_cli_and_api_pages(tmp_path: Path) -> None:
    site = tmp_path / "site"
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)], cwd=ROOT,
                         env=_env(), capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    for card in sorted((ROOT / "envs").glob("*/README.md")):  # one page per env card, its title intact
        page = (site / "envs" / card.parent.name / "index.html").read_text()
        title = card.read_text().splitlines()[0].lstrip("# ").split(" — ")[0]
        assert title in page, card
    cli = (site / "cli" / "index.html").read_text()
    for command in ("agentgym run", "agentgym view", "agentgym validate", "agentgym new-env", "--no-browser"):
        assert command in cli, command
    api = (site / "api" / "types" / "index.html").read_text()
    assert "A whole episode. It carries its task, so it alone is enough to re-score it." in api
    assert "RubricResult" in (site / "api" / "evaluators" / "index.html").read_text()
    assert "fonts.googleapis.com" not in (site / "index.html").read_text()  # reads offline


def test_snippet_convention_is_honoured() -> None:
    """The extractor finds the snippets (so the tests below cannot pass by finding none) and the markers."""
    found = [s for p in PAGES for s in snippets(p)]
    runnable = [s for s in found if s.runs and s.lang == "python"]
    assert len(runnable) >= 25, len(runnable)
    skipped = [s for s in found if s.lang in ("python", "bash") and s.marker.startswith("<!-- norun")]
    unexplained = [f"{s.path}:{s.line}" for s in skipped if not re.match(r"<!-- norun: \S", s.marker)]
    assert skipped and not unexplained, f"say why a snippet does not run (<!-- norun: reason -->): {unexplained}"
    assert [s for s in found if s.lang == "bash" and s.runs]


def test_a_failing_snippet_fails_the_page(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("Intro.\n\n```python\nx = 1\n```\n\n<!-- norun: shown only -->\n```python\nraise SystemExit(3)\n"
                    "```\n\n```python\nassert x == 2, 'x is ' + str(x)\n```\n")
    script = tmp_path / "s.py"
    script.write_text(python_script(page))
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 1 and "x is 1" in out.stderr and f"{page}:12" in out.stderr  # the fence's line in the page


@pytest.mark.parametrize("page", [p for p in PAGES if any(s.runs and s.lang == "python" for s in snippets(p))],
                         ids=_ids([p for p in PAGES if any(s.runs and s.lang == "python" for s in snippets(p))]))
def test_python_snippets_run(page: Path, tmp_path: Path) -> None:
    script = tmp_path / "page_snippets.py"
    script.write_text(python_script(page))
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, f"a snippet in {page.relative_to(ROOT)} failed:\n{out.stdout}\n{out.stderr}"


_BASH = [(p, s) for p in PAGES for s in snippets(p) if s.runs and s.lang == "bash"]


@pytest.mark.parametrize(("page", "snippet"), _BASH, ids=[f"{p.relative_to(ROOT)}:{s.line}" for p, s in _BASH])
def test_bash_snippets_run(page: Path, snippet, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", snippet.code], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"{page.relative_to(ROOT)}:{snippet.line} failed:\n{out.stdout}\n{out.stderr}"
