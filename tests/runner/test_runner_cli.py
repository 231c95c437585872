"""`agentgym run`, `agentgym report [--html]` and `agentgym rescore` end to end through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from agentgym.cli import app

cli = CliRunner()


def _run(*args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_run_report_html_and_rescore(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    out = _run("run", "calculator", "--policy", "oracle", "--samples", "2", "--limit", "6", "--out", str(a),
               "--quiet")
    assert "success_rate" in out and "pass^2" in out
    _run("run", "calculator", "--policy", "oracle", "--samples", "3", "--limit", "6", "--out", str(b),
         "--seed", "1", "--quiet")
    scores = json.loads((a / "scores.json").read_text())
    assert scores["success_rate"] == 1.0 and scores["n_episodes"] == 12

    page = tmp_path / "report.html"
    out = _run("report", str(a), str(b), "--html", str(page))
    assert "a (oracle)" in out and "b (oracle)" in out
    html = page.read_text()
    assert html.count("<svg") == 4  # categories, pass^k curve, reward distribution, rubric axes
    assert "1-step" in html and "pass^k" in html and "rubric score per axis" in html
    assert not re.search(r'(src|href)="(http|//)', html)  # self-contained
    assert html.count("<polyline") == 2  # one pass^k curve per run

    # tamper with the stored scores; rescore recomputes them from the trajectories alone
    path = a / "trajectories.jsonl"
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    for x in lines:
        x["metrics"] = {"success": False}
        x["scores"] = {}
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    (a / "scores.json").write_text(json.dumps({"success_rate": 0.0}))
    _run("rescore", str(a))
    again = json.loads((a / "scores.json").read_text())
    assert again["success_rate"] == 1.0 and again["rubric"]["total"] == scores["rubric"]["total"]
    assert {k: v for k, v in again.items() if k != "usage"} == {k: v for k, v in scores.items() if k != "usage"}


def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    _run("run", "calculator", "--policy", "oracle", "--limit", "2", "--out", str(tmp_path / "r"), "--quiet")
    result = cli.invoke(app, ["run", "calculator", "--policy", "oracle", "--limit", "3", "--out",
                              str(tmp_path / "r"), "--quiet"])
    assert result.exit_code == 2 and "different configuration" in result.output and "n_tasks" in result.output
    result = cli.invoke(app, ["report", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "not a run directory" in result.output
    result = cli.invoke(app, ["run", "nope", "--policy", "oracle", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "unknown env" in result.output


def test_policy_args_are_parsed_as_json_when_they_can_be() -> None:
    from agentgym.cli.run import parse_policy_args
    from agentgym.errors import ConfigError

    assert parse_policy_args(["max_tokens=64", "temperature=0.5", 'stop=["###"]', "model=smol"]) == {
        "max_tokens": 64, "temperature": 0.5, "stop": ["###"], "model": "smol"}
    import pytest

    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_policy_args(["max_tokens"])
