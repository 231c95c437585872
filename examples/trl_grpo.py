"""TRL's GRPOTrainer on an agentgym env: multi-turn episodes as rollouts, tool tokens masked out of the loss.

The trainer's model and the policy server's model are the same object (SmolLM2-135M on the CPU, served
in-process by ``agentgym serve``), so generation always uses the weights being trained. TRL calls
``rollout_func`` with each batch of prompts (a task's opening messages, repeated ``num_generations`` times);
it plays whole episodes and returns ``prompt_ids``/``completion_ids``/``logprobs``/``env_mask``, and
``env_reward`` hands the episode reward to TRL's GRPO loss.

    .venv/bin/python examples/trl_grpo.py --steps 1

Needs ``pip install trl`` (checked with TRL 1.16). Against vLLM instead: pass its ``/v1`` URL as
``--server`` and let TRL sync weights into it (``use_vllm=True``, ``vllm_mode="server"``).
"""

from __future__ import annotations

import argparse
import os
import tempfile

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default="calculator")
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--num-generations", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--max-turns", type=int, default=2)
    ap.add_argument("--reward", default="rubric", choices=["env", "rubric"])
    ap.add_argument("--train-layers", type=int, default=4,
                    help="train only the last N decoder layers (keeps the CPU update short); 0 = all")
    ap.add_argument("--server", default=None, help="an OpenAI-compatible /v1 URL (default: in-process server)")
    args = ap.parse_args()

    from trl import GRPOConfig, GRPOTrainer

    from agentgym.rl.adapters.trl import env_reward, make_rollout_func, task_dataset
    from agentgym.serve import start_server
    from agentgym.serve.model import load_model

    loaded = load_model(None)
    if args.train_layers:
        for p in loaded.model.parameters():
            p.requires_grad_(False)
        for layer in loaded.model.model.layers[-args.train_layers:]:
            for p in layer.parameters():
                p.requires_grad_(True)
    server = None if args.server else start_server()
    url = args.server or server.base_url
    try:
        config = GRPOConfig(
            output_dir=tempfile.mkdtemp(prefix="agentgym-trl-"), max_steps=args.steps, learning_rate=1e-5,
            per_device_train_batch_size=args.num_generations, num_generations=args.num_generations,
            max_completion_length=args.max_tokens * args.max_turns * 8, use_cpu=True, bf16=False,
            logging_steps=1, report_to="none", save_strategy="no", beta=0.0, seed=0)
        trainer = GRPOTrainer(
            model=loaded.model, processing_class=loaded.tokenizer, reward_funcs=env_reward, args=config,
            train_dataset=task_dataset(args.env, split="train", tasks=args.tasks),
            rollout_func=make_rollout_func(url, args.env, tokenizer=loaded.tokenizer, reward=args.reward,
                                           max_tokens=args.max_tokens, max_turns=args.max_turns))
        trainer.train()
        for row in trainer.state.log_history:
            if "reward" in row:
                print(f"step {row.get('step')}: reward {row['reward']:.3f}  loss {row.get('loss', float('nan')):.4f}")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
