"""LLM judges for the metrics that rules cannot decide, through litellm, cached on disk.

A judge sees a compact transcript and answers with JSON ``{"score": 1-5, "reason": "..."}`` (FinTrace's
1–5 scales), mapped to [0, 1] as ``(score - 1) / 4``. Judgements are cached by (judge model, temperature,
prompt version, trajectory digest), so rescoring the same trajectory with the same rubric costs nothing and
gives the same number. Malformed answers and provider errors are retried; when retries run out the judge
raises ``InfrastructureError`` — a missing judgement is never scored as 0.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentgym.errors import InfrastructureError
from agentgym.evaluators.schema import Criterion, JudgeConfig
from agentgym.types import Trajectory, sha256_of

SYSTEM = ("You are a strict evaluator of an AI agent's trajectory. Read the task and the transcript, then "
          "rate one aspect on a 1-5 scale (1 = very poor, 5 = excellent). Reply with a JSON object only: "
          '{"score": <integer 1-5>, "reason": "<one or two sentences citing turns>"}.')

#: metric -> (prompt version, what to rate). Bump the version whenever the wording changes: it is part of
#: the cache key, so old judgements are never reused for a new prompt.
PROMPTS: dict[str, tuple[str, str]] = {
    "task_relevance": ("1", "Task relevance: are the agent's tool calls and messages relevant to the user's "
                            "task, without detours to unrelated tools or topics?"),
    "logical_progression": ("1", "Logical progression: does each step follow sensibly from the previous "
                                 "ones and from what the tools returned, without loops or contradictions?"),
    "information_utilization": ("1", "Information utilization: does the agent use the values the tools "
                                     "returned in its later actions and in its final answer, instead of "
                                     "ignoring or inventing them?"),
    "progress_score": ("1", "Progress: how far did the agent get towards completing the task "
                            "(5 = fully completed, 1 = no progress)?"),
    "final_answer_quality": ("1", "Final answer quality: is the final answer correct, complete and clearly "
                                  "stated for the user's task (compare with the reference when given)?"),
}


class CustomJudgeParams(BaseModel):
    """``kind: judge, metric: custom``: your own rating instruction (bump ``version`` when you edit it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str = Field(min_length=10)
    version: str = "1"


class Judgement(BaseModel):
    model_config = ConfigDict(extra="ignore")

    score: float = Field(ge=1, le=5)
    reason: str = ""


def default_cache_dir() -> Path:
    return Path(os.environ.get("AGENTGYM_JUDGE_CACHE") or Path.home() / ".cache" / "agentgym" / "judge")


def prompt_for(criterion: Criterion, params: Any) -> tuple[str, str]:
    """``(version, instruction)`` for a judge criterion."""
    if isinstance(params, CustomJudgeParams):
        return f"custom-{params.version}", params.prompt
    return PROMPTS[criterion.metric_name]


def transcript(traj: Trajectory, limit: int) -> str:
    """The conversation as plain text for the judge, the middle elided when it exceeds ``limit``."""
    lines = []
    for m in traj.messages:
        if m.role == "assistant":
            text = f"[assistant] {m.content}".rstrip()
            for c in m.tool_calls:
                text += f"\n  -> {c.name}({json.dumps(c.arguments, sort_keys=True)})"
            lines.append(text)
        elif m.role == "tool":
            lines.append(f"[tool {m.name}]{' (error: ' + m.error + ')' if m.error else ''} {m.content}")
        else:
            lines.append(f"[{m.role}] {m.content}")
    text = "\n".join(lines)
    if len(text) > limit:
        half = limit // 2
        text = text[:half] + f"\n[... {len(text) - limit} characters elided ...]\n" + text[-half:]
    return text


def build_messages(criterion: Criterion, params: Any, traj: Trajectory, config: JudgeConfig) -> list[dict[str, str]]:
    _, instruction = prompt_for(criterion, params)
    task = traj.task
    parts = [f"Task given to the agent:\n{task.instruction or '(see the transcript)'}"]
    if "answer" in task.gold and criterion.metric_name in ("final_answer_quality", "progress_score"):
        parts.append(f"Reference answer: {json.dumps(task.gold['answer'])}")
    parts.append(f"Transcript:\n{transcript(traj, config.max_transcript_chars)}")
    parts.append(f"Rate this aspect: {instruction}")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


class JudgeCache:
    """One JSON file per judgement under ``root/<key[:2]>/<key>.json``, written atomically."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def put(self, key: str, record: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, sort_keys=True)
        os.replace(tmp, path)


def trajectory_digest(traj: Trajectory) -> str:
    """The episode's content digest, leaving out stored metrics and scores (the judge never sees them), so a
    rescored trajectory still hits the cache."""
    return traj.model_copy(update={"metrics": {}, "scores": {}}).digest()


def judge(criterion: Criterion, params: Any, traj: Trajectory, config: JudgeConfig,
          digest: str | None = None) -> dict[str, Any]:
    """Judge one criterion on one trajectory. Returns the record stored in ``RubricResult.judges``:
    ``{mode, model, prompt_version, score, raw_score, reason, cached, cost, usage}`` where ``cost`` is what
    this call spent (0 on a cache hit; the original cost stays in ``original_cost``)."""
    assert config.model is not None
    version, instruction = prompt_for(criterion, params)
    key = sha256_of({"model": config.model, "temperature": config.temperature, "metric": criterion.metric_name,
                     "prompt_version": version, "prompt": sha256_of([SYSTEM, instruction]),
                     "transcript_limit": config.max_transcript_chars,
                     "trajectory": digest or trajectory_digest(traj)})
    cache = JudgeCache(Path(config.cache_dir) if config.cache_dir else default_cache_dir())
    hit = cache.get(key)
    if hit is not None:
        return {**hit, "cached": True, "cost": 0.0, "original_cost": hit.get("cost", 0.0)}
    messages = build_messages(criterion, params, traj, config)
    record = _ask(messages, config, criterion.name)
    record.update({"mode": "judge", "model": config.model, "prompt_version": version, "cache_key": key})
    cache.put(key, record)
    return {**record, "cached": False}


def _ask(messages: list[dict[str, str]], config: JudgeConfig, name: str) -> dict[str, Any]:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True  # failures are reported through InfrastructureError instead
    kwargs: dict[str, Any] = {"model": config.model, "messages": messages, "temperature": config.temperature,
                              "timeout": config.timeout_s, "num_retries": 0,
                              "response_format": {"type": "json_object"}}
    if config.base_url:
        kwargs["api_base"] = config.base_url
        kwargs["api_key"] = config.api_key or "sk-no-key"
    elif config.api_key:
        kwargs["api_key"] = config.api_key
    if config.input_cost_per_token is not None:
        kwargs["input_cost_per_token"] = config.input_cost_per_token
    if config.output_cost_per_token is not None:
        kwargs["output_cost_per_token"] = config.output_cost_per_token
    attempts = config.max_retries + 1
    cost = 0.0
    problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(0.2 * 2 ** (attempt - 1), 2.0))
        try:
            resp = litellm.completion(**kwargs)
        except (litellm.AuthenticationError, litellm.NotFoundError, litellm.BadRequestError) as exc:
            raise InfrastructureError(f"judge {config.model} refused the request for criterion {name!r}: "
                                      f"{type(exc).__name__}: {exc}", retryable=False) from exc
        except Exception as exc:  # rate limits, 5xx, timeouts, broken responses: retry
            problem = f"{type(exc).__name__}: {str(exc)[:300]}"
            continue
        cost += _cost(resp, litellm)
        content = resp.choices[0].message.content or ""
        try:
            verdict = Judgement.model_validate_json(_json_object(content))
        except ValidationError as exc:
            problem = f"malformed judge output {content[:200]!r}: {exc.errors()[0]['msg']}"
            continue
        usage = getattr(resp, "usage", None)
        return {"score": (verdict.score - 1.0) / 4.0, "raw_score": verdict.score, "reason": verdict.reason,
                "cost": cost, "attempts": attempt + 1,
                "usage": {"prompt_tokens": getattr(usage, "prompt_tokens", 0) or 0,
                          "completion_tokens": getattr(usage, "completion_tokens", 0) or 0}}
    raise InfrastructureError(f"judge {config.model} gave no valid judgement for criterion {name!r} after "
                              f"{attempts} attempts; last problem: {problem}")


def _json_object(content: str) -> str:
    """The JSON object in a reply (judges sometimes wrap it in a code fence)."""
    start, end = content.find("{"), content.rfind("}")
    return content[start:end + 1] if start >= 0 and end > start else content


def _cost(resp: Any, litellm: Any) -> float:
    cost = (getattr(resp, "_hidden_params", None) or {}).get("response_cost")
    if cost is None:
        try:
            cost = litellm.completion_cost(completion_response=resp)
        except Exception:  # a model litellm cannot price: cost unknown, recorded as 0 with its tokens
            cost = 0.0
    return float(cost or 0.0)
