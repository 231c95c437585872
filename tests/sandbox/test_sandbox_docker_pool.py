"""The docker warm pool: reuse with a state reset, sharing, replacement, and cleanup after crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from agentgym.types import ToolCall
from agentgym.world import WorldSpec
from sandbox_helpers import attack_world, docker_or_skip

pytestmark = pytest.mark.docker

CALC = WorldSpec(factory="agentgym.envs.calculator.world:CalculatorWorld", config={"state": {}})


def test_container_is_locked_down(docker_sandbox):
    with docker_sandbox.open(CALC):
        c = docker_sandbox.containers()[0]
        c.reload()
        hc = c.attrs["HostConfig"]
        assert hc["NetworkMode"] == "none" and hc["ReadonlyRootfs"] is True
        assert hc["Memory"] > 0 and hc["PidsLimit"] > 0 and hc["NanoCpus"] > 0
        assert hc["CapDrop"] == ["ALL"] and "/tmp" in hc["Tmpfs"]
        assert c.attrs["Config"]["User"] == "10001:10001"


def test_exclusive_container_is_reused_with_its_state_reset(docker_sandbox):
    writer = attack_world("""
import os, subprocess
def attack():
    open("/tmp/left-behind", "w").write("x")
    open("left-in-workdir", "w").write("x")
    os.system("sleep 300 &")
    return os.getcwd()
""")
    with docker_sandbox.open(writer) as s:
        assert s.call(ToolCall(id="1", name="attack", arguments={})).error is None
        first = {c.id for c in docker_sandbox.containers() if c.labels}
    probe = attack_world("""
import os
def attack():
    procs = [p for p in os.listdir("/proc") if p.isdigit()]
    return {"left": os.path.exists("/tmp/left-behind"), "workdir": os.listdir("."), "procs": len(procs)}
""")
    with docker_sandbox.open(probe) as s:
        seen = s.call(ToolCall(id="2", name="attack", arguments={}))
        host = next(h for h in docker_sandbox.hosts if h.sessions)
    assert host.container.id in first  # the same warm container, handed out again
    assert '"left": false' in seen.content and '"workdir": []' in seen.content
    assert '"procs": 2' in seen.content  # the server and this session's worker; the `sleep` is gone


def test_trusted_worlds_share_a_container(docker_sandbox):
    sessions = [docker_sandbox.open(CALC) for _ in range(3)]
    try:
        hosts = {id(h) for h in docker_sandbox.hosts if h.sessions and not h.exclusive}
        assert len(hosts) == 1
        sessions[0].call(ToolCall(id="1", name="store", arguments={"slot": "a", "value": 1}))
        assert "registers" not in sessions[1].snapshot()
    finally:
        for s in sessions:
            s.close()


def test_unhealthy_container_is_replaced(docker_sandbox):
    with docker_sandbox.open(CALC) as s:
        victim = next(h for h in docker_sandbox.hosts if h.sessions)
        victim.container.kill()
        r = s.call(ToolCall(id="1", name="add", arguments={"a": 1, "b": 1}))
        assert r.error == "sandbox"
    assert victim not in docker_sandbox.hosts
    with docker_sandbox.open(CALC) as s2:
        assert s2.call(ToolCall(id="2", name="add", arguments={"a": 1, "b": 1})).content == "2"


OWNER = textwrap.dedent("""
    import sys, time
    from agentgym.sandbox.docker import DockerSandbox
    from agentgym.world import WorldSpec
    sb = DockerSandbox(pool_size=2)
    sb.warm_up(2)
    s = sb.open(WorldSpec(factory="agentgym.envs.calculator.world:CalculatorWorld"))
    sb.settle()  # no container creation in flight when we are killed
    print("ready", flush=True)
    time.sleep(600)
""")


def _start_owner() -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _containers_of(client, pid: int) -> list:
    from agentgym.sandbox.docker import LABEL, owner_tag

    return client.containers.list(all=True, sparse=True, filters={"label": f"{LABEL}={owner_tag(pid)}"})


def test_restart_after_a_crash_leaves_no_orphans(docker_sandbox):
    proc = _start_owner()
    assert len(_containers_of(docker_sandbox.client, proc.pid)) >= 2
    proc.send_signal(signal.SIGKILL)  # a crash: no cleanup code runs
    proc.wait()
    assert _containers_of(docker_sandbox.client, proc.pid)  # left behind...
    restarted = docker_or_skip(pool_size=0)  # ...until the next sandbox starts
    try:
        assert _containers_of(docker_sandbox.client, proc.pid) == []
        assert restarted.reaped
    finally:
        restarted.close()


def test_ctrl_c_cleans_up(docker_sandbox):
    proc = _start_owner()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 10
    while _containers_of(docker_sandbox.client, proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _containers_of(docker_sandbox.client, proc.pid) == []
    assert os.getpid()
