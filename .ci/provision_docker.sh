#!/usr/bin/env bash
# Provision Docker for the sandbox tests, offline: a local dockerd, a debootstrap base image and the
# agentgym sandbox image. Idempotent: every step is skipped when its result already exists.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE="${AGENTGYM_SANDBOX_BASE:-agentgym-base:bookworm}"
PY="${PY:-.venv/bin/python}"

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v bwrap >/dev/null || need+=(bubblewrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (no bridge, no iptables)"
  nohup dockerd --bridge=none --iptables=false >/var/log/agentgym-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not come up; see /var/log/agentgym-dockerd.log"; exit 1; }
fi

[ -x .venv/bin/agentgym ] || make install

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  .venv/bin/agentgym sandbox base-image --name "$BASE_IMAGE"
fi

.venv/bin/agentgym sandbox build --base-image "$BASE_IMAGE" 
