"""A few GRPO steps with SmolLM2-135M-Instruct on the CPU, on the calculator env, end to end.

The policy server (``agentgym serve``, transformers engine) runs in this process on the *same* model object
that the optimiser updates, so every ``collect`` samples from the current weights with no weight sync.
Each step: ``collect`` plays ``--tasks`` tasks ``--group-size`` times (token ids, loss mask, sampling logprobs,
turn rewards, GRPO advantages), then one clipped policy-gradient update over the generated tokens:

    ratio_t = exp(log π_θ(y_t) − log π_old(y_t)),   loss = −mean_t min(ratio_t·A_t, clip(ratio_t, 1±ε)·A_t)

over tokens with loss_mask = 1 (tool results and user turns are context, not actions).

    .venv/bin/python examples/rl_smollm2.py --steps 3 --tasks 2 --group-size 2

Improvement is not expected from three steps of a 135M model; the script shows the loop runs and logs the
reward per step. The default reward is the calculator rubric without its answer gate, so partially right
episodes (a correct tool call, no final answer yet) earn credit and GRPO groups have non-zero advantages. The last line is ``key=value`` figures.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from agentgym.rl import RolloutBatch, collect  # noqa: E402
from agentgym.serve import start_server  # noqa: E402
from agentgym.serve.model import load_model  # noqa: E402


def policy_loss(model: torch.nn.Module, batch: RolloutBatch, clip: float) -> float:
    """Accumulate the clipped-ratio loss's gradient episode by episode (keeps CPU memory small)."""
    n_tokens = sum(sum(e.loss_mask) for e in batch.episodes) or 1
    total = 0.0
    for ep, adv in zip(batch.episodes, batch.advantages, strict=True):
        if not np.any(adv):
            continue  # a zero advantage contributes no gradient
        ids = torch.tensor([ep.token_ids])
        mask = torch.tensor(ep.loss_mask[1:], dtype=torch.float32)
        old = torch.tensor(ep.logprobs[1:], dtype=torch.float32)
        a = torch.tensor(adv[1:], dtype=torch.float32)
        logits = model(input_ids=ids).logits[0, :-1].float()
        new = torch.log_softmax(logits, -1).gather(-1, ids[0, 1:, None]).squeeze(-1)
        ratio = torch.exp(new - old)
        per_token = torch.minimum(ratio * a, torch.clamp(ratio, 1 - clip, 1 + clip) * a)
        loss = -(per_token * mask).sum() / n_tokens
        loss.backward()
        total += float(loss)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default="calculator")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=2)
    ap.add_argument("--group-size", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--max-turns", type=int, default=2)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--clip", type=float, default=0.2)
    ap.add_argument("--advantage", default="grpo", choices=["grpo", "rloo", "hian", "matchtir"])
    ap.add_argument("--reward", default="dense", choices=["env", "rubric", "dense"],
                    help="episode reward: the env's success, its default rubric's total, or that rubric without "
                         "its gates (dense: partial credit for right tool calls even without a final answer)")
    args = ap.parse_args()

    rubric = None
    if args.reward == "dense":
        from agentgym.evaluators import rubric_for

        base = rubric_for(args.env)
        rubric = base.model_copy(update={"criteria": [c.model_copy(update={"gate": False})
                                                      for c in base.criteria]})
    torch.manual_seed(0)
    loaded = load_model(None)  # the default SmolLM2 GGUF, shared with the in-process server below
    model = loaded.model
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    rewards: list[float] = []
    started = time.perf_counter()
    with start_server() as server:
        for step in range(args.steps):
            t0 = time.perf_counter()
            batch = collect(server.base_url, args.env, tasks=args.tasks,
                            group_size=args.group_size, split="train", seed=step, temperature=args.temperature,
                            max_tokens=args.max_tokens, max_turns=args.max_turns, rubric=rubric,
                            reward="env" if args.reward == "env" else "rubric",
                            advantage=args.advantage, tokenizer=loaded.tokenizer)
            t1 = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            with torch.enable_grad():
                loss = policy_loss(model, batch, args.clip)
            optimizer.step()
            mean_r = float(batch.episode_rewards.mean())
            rewards.append(mean_r)
            success = np.mean([bool(e.metrics.get("success")) for e in batch.episodes])
            generated = sum(sum(e.loss_mask) for e in batch.episodes)
            print(f"step {step}: reward {mean_r:.3f}  success {success:.2f}  episodes {len(batch)}  "
                  f"generated_tokens {generated}  loss {loss:+.4f}  collect {t1 - t0:.1f}s  "
                  f"update {time.perf_counter() - t1:.1f}s", flush=True)
    print(f"steps={args.steps} reward_first={rewards[0]:.3f} reward_last={rewards[-1]:.3f} "
          f"reward_mean={np.mean(rewards):.3f} seconds={time.perf_counter() - started:.1f}")


if __name__ == "__main__":
    main()
