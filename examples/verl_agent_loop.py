"""verl with agentgym: write the dataset and agent-loop config verl needs, and play one row locally.

verl (GPU, Ray, vLLM/SGLang) trains with agent loops that are token-in/token-out. This script

1. writes ``DIR/train.parquet`` (one row per task, ``agent_name: agentgym``; verl samples each row
   ``rollout.n`` times and groups those samples) and
   ``DIR/agent_loop.yaml`` (registers ``agentgym.rl.adapters.verl.AgentGymAgentLoop``), and prints the
   ``verl.trainer.main_ppo`` command to run on a GPU machine with verl installed;
2. plays the first row exactly as verl would call the loop, with SmolLM2's decode loop standing in for verl's
   ``server_manager`` (so it runs here, on the CPU, without verl).

    .venv/bin/python examples/verl_agent_loop.py --out /tmp/agentgym-verl --tasks 8 --group-size 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

CONFIG = """- name: agentgym
  _target_: agentgym.rl.adapters.verl.AgentGymAgentLoop
"""


class LocalServerManager:
    """verl's ``server_manager.generate`` contract on the local transformers decode loop."""

    def __init__(self, loaded):  # noqa: ANN001
        self.loaded = loaded

    async def generate(self, request_id, *, prompt_ids, sampling_params):  # noqa: ANN001
        from agentgym.serve.model import SamplingParams

        params = SamplingParams(max_tokens=int(sampling_params.get("max_tokens", 64)),
                                temperature=float(sampling_params.get("temperature", 1.0)))
        gen = (await asyncio.to_thread(self.loaded.generate, [list(prompt_ids)], [params]))[0]
        return SimpleNamespace(token_ids=gen.token_ids, log_probs=gen.logprobs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default="calculator")
    ap.add_argument("--out", default="/tmp/agentgym-verl")
    ap.add_argument("--tasks", type=int, default=8)
    ap.add_argument("--group-size", type=int, default=4)
    ap.add_argument("--max-turns", type=int, default=4)
    ap.add_argument("--max-tokens", type=int, default=32, help="per turn, for the local demo row")
    args = ap.parse_args()

    import pandas as pd

    from agentgym.rl.adapters.verl import run_row, task_rows
    from agentgym.serve.model import load_model

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # one row per task: verl repeats each row rollout.n times and groups the repeats for GRPO
    rows = task_rows(args.env, split="train", tasks=args.tasks, max_turns=args.max_turns)
    pd.DataFrame(rows).to_parquet(out / "train.parquet")
    (out / "agent_loop.yaml").write_text(CONFIG)
    print(f"wrote {len(rows)} rows to {out / 'train.parquet'} and {out / 'agent_loop.yaml'}")
    print("on a GPU machine with verl:\n  python -m verl.trainer.main_ppo algorithm.adv_estimator=grpo "
          f"data.train_files={out / 'train.parquet'} data.return_raw_chat=True "
          "actor_rollout_ref.rollout.mode=async actor_rollout_ref.rollout.multi_turn.enable=True "
          f"actor_rollout_ref.rollout.n={args.group_size} "
          f"actor_rollout_ref.rollout.agent.agent_loop_config_path={out / 'agent_loop.yaml'} ...")

    loaded = load_model(None)
    fields = asyncio.run(run_row(LocalServerManager(loaded), loaded.tokenizer,
                                 {"temperature": 1.0, "max_tokens": args.max_tokens}, rows[0]))
    summary = {k: (len(v) if isinstance(v, list) else v) for k, v in fields.items() if k != "extra_fields"}
    print("AgentLoopOutput fields for row 0:", json.dumps(summary), json.dumps(fields["extra_fields"]))


if __name__ == "__main__":
    main()
