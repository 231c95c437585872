"""A few GRPO steps with SmolLM2-135M-Instruct on the CPU, on the calculator env, end to end.

The policy server (``agentgym serve``, transformers engine) runs in this process on the *same* model object
that the optimiser updates, so every ``collect`` samples from the current weights with no weight sync.
Each step: ``collect`` plays ``--tasks`` tasks ``--group-size`` times (token ids, loss mask, sampling logprobs,
turn rewards, GRPO advantages), then one clipped policy-gradient update over the generated tokens:

    ratio_t = exp(log π_θ(y_t) − log π_old(y_t)),   loss = −mean_t min(ratio_t·A_t, clip(ratio_t, 1±ε)·A_t)

over tokens with loss_mask = 1 (tool results and user turns are context, not actions). Only the last
``--train-layers`` decoder layers are trained and the vocabulary projection is computed only at generated
positions, so a CPU update takes seconds rather than minutes.

    .venv/bin/python examples/rl_smollm2.py --steps 3 --tasks 2 --group-size 2

Improvement is not expected from three steps of a 135M model; the script shows the loop runs and logs the
reward per step. The default reward is shaped (see ``shaped_reward``) so that GRPO groups differ and the
update has a gradient; ``--reward env`` uses the env's own success. The last line is ``key=value`` figures.
"""

from __future__ import annotations

import argparse
import os
import re
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from agentgym.rl import RolloutBatch, TokenEpisode, collect, turn_advantages  # noqa: E402
from agentgym.serve import start_server  # noqa: E402
from agentgym.serve.model import load_model  # noqa: E402


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def shaped_reward(ep: TokenEpisode) -> float:
    """Success, plus 0.5 for calling any tool and up to 0.5 for the stated number closest to the answer: a
    135M model rarely solves a task, and a constant reward gives GRPO nothing to compare within a group."""
    gold = float(ep.trajectory.task.gold["answer"])
    text = " ".join(s.action.content for s in ep.trajectory.steps)
    closeness = max((1.0 / (1.0 + abs(float(x) - gold)) for x in NUMBER.findall(text)), default=0.0)
    used_tools = any(s.action.tool_calls for s in ep.trajectory.steps)
    return float(bool(ep.metrics.get("success"))) + 0.5 * float(used_tools) + 0.5 * closeness


def policy_loss(model: torch.nn.Module, batch: RolloutBatch, clip: float) -> float:
    """Accumulate the clipped-ratio loss's gradient episode by episode (keeps CPU memory small)."""
    n_tokens = sum(sum(e.loss_mask) for e in batch.episodes) or 1
    total = 0.0
    for ep, adv in zip(batch.episodes, batch.advantages, strict=True):
        if not np.any(adv):
            continue  # a zero advantage contributes no gradient
        ids = torch.tensor([ep.token_ids])
        keep = torch.tensor(ep.loss_mask[1:], dtype=torch.bool)  # positions whose next token was generated
        targets = ids[0, 1:][keep]
        old = torch.tensor(ep.logprobs[1:], dtype=torch.float32)[keep]
        a = torch.tensor(adv[1:], dtype=torch.float32)[keep]
        hidden = model.model(input_ids=ids).last_hidden_state[0, :-1][keep]
        logits = model.lm_head(hidden).float()  # the vocabulary projection only where there is a loss
        new = torch.log_softmax(logits, -1).gather(-1, targets[:, None]).squeeze(-1)
        ratio = torch.exp(new - old)
        per_token = torch.minimum(ratio * a, torch.clamp(ratio, 1 - clip, 1 + clip) * a)
        loss = -per_token.sum() / n_tokens
        loss.backward()
        total += float(loss.detach())
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
    ap.add_argument("--train-layers", type=int, default=4,
                    help="train only the last N decoder layers (the CPU update stays in seconds); 0 = all")
    ap.add_argument("--clip", type=float, default=0.2)
    ap.add_argument("--advantage", default="grpo", choices=["grpo", "rloo", "hian", "matchtir"])
    ap.add_argument("--reward", default="shaped", choices=["env", "rubric", "shaped"],
                    help="episode reward: the env's success, its default rubric's total, or 'shaped' (success "
                         "plus partial credit for using tools and for stating a number close to the answer)")
    args = ap.parse_args()

    torch.manual_seed(0)
    loaded = load_model(None)  # the default SmolLM2 GGUF, shared with the in-process server below
    model = loaded.model
    if args.train_layers:
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.model.layers[-args.train_layers:]:
            for p in layer.parameters():
                p.requires_grad_(True)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr)
    rewards: list[float] = []
    started = time.perf_counter()
    with start_server() as server:
        for step in range(args.steps):
            t0 = time.perf_counter()
            batch = collect(server.base_url, args.env, tasks=args.tasks,
                            group_size=args.group_size, split="train", seed=step, temperature=args.temperature,
                            max_tokens=args.max_tokens, max_turns=args.max_turns,
                            reward="rubric" if args.reward == "rubric" else "env",
                            advantage=args.advantage, tokenizer=loaded.tokenizer)
            if args.reward == "shaped":  # a custom reward: rescore the episodes, recompute the advantages
                for ep in batch.episodes:
                    ep.episode_reward = shaped_reward(ep)
                batch = RolloutBatch(batch.episodes, args.advantage, turn_advantages(batch.episodes, args.advantage))
            t1 = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            with torch.enable_grad():
                loss = policy_loss(model, batch, args.clip)
            grad_norm = float(torch.nn.utils.clip_grad_norm_(trainable, 1.0))
            optimizer.step()
            mean_r = float(batch.episode_rewards.mean())
            rewards.append(mean_r)
            success = np.mean([bool(e.metrics.get("success")) for e in batch.episodes])
            generated = sum(sum(e.loss_mask) for e in batch.episodes)
            print(f"step {step}: reward {mean_r:.3f}  success {success:.2f}  episodes {len(batch)}  "
                  f"generated_tokens {generated}  loss {loss:+.4f}  grad_norm {grad_norm:.3f}  "
                  f"collect {t1 - t0:.1f}s  update {time.perf_counter() - t1:.1f}s", flush=True)
    print(f"steps={args.steps} reward_first={rewards[0]:.3f} reward_last={rewards[-1]:.3f} "
          f"reward_mean={np.mean(rewards):.3f} seconds={time.perf_counter() - started:.1f}")


if __name__ == "__main__":
    main()
