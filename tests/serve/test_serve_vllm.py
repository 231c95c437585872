"""The vLLM engine: command construction and the clear error when vLLM or a GPU is missing."""

from __future__ import annotations

import importlib.util

import pytest
from typer.testing import CliRunner

from agentgym.serve.vllm import EngineUnavailableError, check_vllm, has_gpu, vllm_command


def test_command_carries_model_parser_and_template():
    cmd = vllm_command("Qwen/Qwen3-8B", port=8001, served_name="qwen", tool_call_parser="hermes",
                       chat_template="/t/chat.jinja", max_model_len=4096)
    tail = cmd[cmd.index("serve"):]
    assert tail == ["serve", "Qwen/Qwen3-8B", "--host", "127.0.0.1", "--port", "8001",
                    "--served-model-name", "qwen", "--enable-auto-tool-choice", "--tool-call-parser", "hermes",
                    "--chat-template", "/t/chat.jinja", "--max-model-len", "4096"]
    assert "--tool-call-parser" not in vllm_command("m", tool_call_parser=None)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None and has_gpu(), reason="vLLM can run here")
def test_missing_vllm_or_gpu_is_a_clear_error():
    with pytest.raises(EngineUnavailableError, match="engine transformers"):
        check_vllm()
    from agentgym.cli import app

    out = CliRunner().invoke(app, ["serve", "--engine", "vllm", "--model", "org/model", "--port", "8124"])
    assert out.exit_code == 2 and "engine transformers" in " ".join(out.output.split())


def test_unknown_engine_is_rejected():
    from agentgym.cli import app

    out = CliRunner().invoke(app, ["serve", "--engine", "tgi"])
    assert out.exit_code != 0 and "unknown engine" in out.output


def test_cli_dry_run_prints_the_command():
    from agentgym.cli import app

    out = CliRunner().invoke(app, ["serve", "--engine", "vllm", "--model", "org/model", "--dry-run", "--port", "8123"])
    assert out.exit_code == 0, out.output
    assert "serve org/model --host 127.0.0.1 --port 8123 --enable-auto-tool-choice --tool-call-parser hermes" \
        in " ".join(out.output.split())


def test_transformers_engine_reports_a_missing_model_path(tmp_path):
    from agentgym.cli import app

    out = CliRunner().invoke(app, ["serve", "--model", str(tmp_path / "missing.gguf")])
    assert out.exit_code == 2 and "does not exist" in " ".join(out.output.split())
