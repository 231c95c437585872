#!/usr/bin/env bash
# `make demo`: a real run of the local SmolLM2 policy server on five calculator tasks, then the report.
#
# Starts `agentgym serve --engine transformers` on 127.0.0.1 (a free port), waits until it answers, runs
# `agentgym run` with the openai-compatible policy, prints `agentgym report` (and writes report.html next
# to the run), and always stops the server, whatever happens. Override with DEMO_OUT, DEMO_LIMIT, DEMO_PORT,
# DEMO_MAX_TOKENS.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
AGENTGYM="$VENV/bin/agentgym"
export LITELLM_LOCAL_MODEL_COST_MAP=True
OUT=${DEMO_OUT:-runs/demo-smollm2}
LIMIT=${DEMO_LIMIT:-5}
MAX_TOKENS=${DEMO_MAX_TOKENS:-64}  # a 135M model on a CPU: short turns keep the demo to a few minutes
PORT=${DEMO_PORT:-$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
URL="http://127.0.0.1:$PORT/v1"
LOG=$(mktemp -t agentgym-demo-server.XXXXXX.log)
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting the SmolLM2 policy server on $URL (loading the model takes ~20 s)"
if "$AGENTGYM" serve --help >/dev/null 2>&1; then
    "$AGENTGYM" serve --engine transformers --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
else  # the CLI command is not installed: the same server through the Python API
    "$PY" -c "from agentgym.serve import serve_forever; serve_forever(host='127.0.0.1', port=$PORT)" >"$LOG" 2>&1 &
fi
SERVER_PID=$!

for _ in $(seq 1 600); do
    if "$PY" -c "import httpx, sys; sys.exit(httpx.get('$URL/models', timeout=2).status_code != 200)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "the policy server exited:"; cat "$LOG"; exit 1
    fi
    sleep 0.5
done
"$PY" -c "import httpx; httpx.get('$URL/models', timeout=2).raise_for_status()" || { echo "server never answered:"; cat "$LOG"; exit 1; }

echo "== agentgym run calculator: $LIMIT tasks with the local model"
rm -rf "$OUT"  # a fresh run each time (the server's port is part of the run's configuration)
"$AGENTGYM" run calculator --split test --limit "$LIMIT" --base-url "$URL" --samples 1 \
    --policy-arg max_tokens="$MAX_TOKENS" --concurrency "$LIMIT" --max-turns 3 --out "$OUT" --quiet

echo "== agentgym report $OUT"
"$AGENTGYM" report "$OUT" --html "$OUT/report.html"
