"""``agentgym run``: evaluate a policy on an env's task split into a resumable run directory."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer

from agentgym.cli.common import console, user_errors
from agentgym.errors import ConfigError


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(env: str = typer.Argument(..., help="Env name (see `agentgym envs`)."),
        split: str = typer.Option("test", help="Task split."),
        policy: str = typer.Option(None, help="oracle | scripted | replay | random (or, with --model, "
                                              "litellm | openai-compatible)."),
        model: str = typer.Option(None, help="Model name; uses the litellm policy, or openai-compatible "
                                             "with --base-url."),
        base_url: str = typer.Option(None, help="Base URL of an OpenAI-compatible server (e.g. `agentgym serve`)."),
        samples: int = typer.Option(1, help="Samples per task (k of pass@k / pass^k)."),
        sandbox: str = typer.Option("local", help="local | process | docker."),
        out: Path = typer.Option(..., help="Run directory; rerun the same command to resume it."),
        concurrency: int = typer.Option(8, help="Episodes in flight (lowered automatically on 429s)."),
        max_turns: int = typer.Option(None, help="Turn limit per episode (default: the env's)."),
        episode_timeout: float = typer.Option(None, help="Wall-clock limit per episode, seconds."),
        ramp_up: float = typer.Option(None, help="Spread the first episodes' starts over this many seconds "
                                                 "(default: 0.4 ms per concurrent episode)."),
        seed: int = typer.Option(0, help="Run seed; episode seeds derive from it, the task and the sample."),
        limit: int = typer.Option(None, help="Only the first N tasks of the split."),
        noise: list[str] = typer.Option(None, help="Noise spec (repeatable), e.g. tool:failure=0.2."),
        policy_arg: list[str] = typer.Option(None, "--policy-arg", help="KEY=VALUE passed to the policy "
                                             "(repeatable; VALUE is read as JSON when it parses), e.g. max_tokens=64."),
        rubric: str = typer.Option(None, help="Rubric name or YAML path (default: the env's)."),
        data: Path = typer.Option(None, help="A benchmark's official data release to run instead of the "
                                             "generated tasks (cctu: a folder with input_data.jsonl; memory: "
                                             "AMemGym's JSON)."),
        executor: str = typer.Option("local", help="local | ray."),
        workers: int = typer.Option(1, help="Harness processes of the local executor; more than one helps "
                                            "when the harness, not the model, is the bottleneck (high "
                                            "--concurrency against a fast server)."),
        ray_address: str = typer.Option(None, help="Ray cluster address (with --executor ray)."),
        quiet: bool = typer.Option(False, "--quiet", help="Plain log lines instead of a progress bar.")) -> None:
    """Run POLICY (or MODEL) on ENV's SPLIT, k samples per task, score every trajectory, write scores.json.

    Examples:
      agentgym run calculator --policy oracle --out runs/calc-oracle
      agentgym run calculator --model fake-model --base-url http://127.0.0.1:8000/v1 --samples 4 --out runs/x
      agentgym run cctu --data CCTU/ --model openai/gpt-4o-mini --samples 3 --out runs/cctu-official
      agentgym run sales --policy oracle --policy-arg strategy=pushy --out runs/sales-pushy
    """
    from agentgym.runner.engine import RunConfig, arun
    from agentgym.runner.report import print_scores

    with user_errors():
        config = RunConfig(env=env, split=split, out=out, policy=policy, model=model, base_url=base_url,
                           samples=samples, sandbox=sandbox, concurrency=concurrency, max_turns=max_turns,
                           episode_timeout=episode_timeout, ramp_up_s=ramp_up, seed=seed, limit=limit,
                           noise=list(noise or []),
                           rubric=rubric, executor=executor, workers=workers, ray_address=ray_address, quiet=quiet,
                           policy_kwargs=parse_policy_args(policy_arg or []),
                           env_kwargs={"data": str(data)} if data else {})
        result = asyncio.run(arun(config))
    print_scores([result.out], console=console)
    if result.n_infra_errors:
        console.print(f"[yellow]{result.n_infra_errors} episode(s) hit infrastructure errors; "
                      f"rerun the same command to retry them[/]")
    console.print(f"run directory: {result.out}")


def parse_policy_args(items: list[str]) -> dict[str, Any]:
    """``["max_tokens=64", "stop=[\"###\"]", "name=x"]`` -> keyword arguments (JSON values when they parse)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--policy-arg {item!r}: expected KEY=VALUE, e.g. max_tokens=64")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out
