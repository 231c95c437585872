"""`agentgym report` puts a noisy run next to its clean twin with the robustness figures."""

from __future__ import annotations

import asyncio

from agentgym.runner.engine import RunConfig, arun
from agentgym.runner.report import headline_rows, load_run


def test_report_shows_clean_vs_noisy_side_by_side(tmp_path):
    clean, noisy = tmp_path / "clean", tmp_path / "noisy"
    asyncio.run(arun(RunConfig(env="calculator", split="test", out=clean, policy="oracle", quiet=True)))
    asyncio.run(arun(RunConfig(env="calculator", split="test", out=noisy, policy="oracle", quiet=True,
                               noise=["tool:failure=0.5,max_total=2"])))
    rows = dict(headline_rows([load_run(clean), load_run(noisy)]))
    assert rows["noise"] == ["clean", "tool:failure=0.5,max_total=2"]
    assert rows["success drop vs clean (abs)"] == ["", "0.000"]
    assert rows["stability-gated success"] == ["", "1.000"]
    assert float(rows["turn overhead per episode"][1]) > 0  # every failure cost a retry turn
