"""The upload endpoint against a real server process: verification, auth, limits, persistence, concurrency."""

from __future__ import annotations

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from leaderboard_helpers import rescored_claims, repack, unpack

from agentgym.leaderboard.bundle import pack_run


@pytest.fixture(scope="module")
def bundles(runs: dict[str, Path]) -> dict[str, bytes]:
    return {"oracle": pack_run(runs["oracle"], model="oracle-model", organisation="agentgym"),
            "flaky": pack_run(runs["flaky"], model="flaky-model", organisation="acme")}


def _failing(trajectories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for t in trajectories if not t["metrics"]["success"]]


# ------------------------------------------------------------------------------------ tampering
def _edited_run_score(info: dict, trajs: list) -> tuple[dict, list]:
    return {**info, "scores": {**info["scores"], "success_rate": 0.95}}, trajs


def _edited_episode_score(info: dict, trajs: list) -> tuple[dict, list]:
    """Flip failing episodes to successes and make the run scores agree with the lie."""
    for t in _failing(trajs):
        t["metrics"]["success"] = True
    return {**info, "scores": rescored_claims(trajs, info["harness"]["samples"])}, trajs


def _dropped_failures(info: dict, trajs: list) -> tuple[dict, list]:
    kept = [t for t in trajs if t["metrics"]["success"]]
    return {**info, "scores": rescored_claims(kept, info["harness"]["samples"])}, kept


def _relabelled_failures(info: dict, trajs: list) -> tuple[dict, list]:
    """Failures disguised as infrastructure errors, which scoring leaves out."""
    for t in _failing(trajs):
        t["status"] = "infra_error"
    return {**info, "scores": rescored_claims(trajs, info["harness"]["samples"])}, trajs


def _wrong_task_set_hash(info: dict, trajs: list) -> tuple[dict, list]:
    return {**info, "task_set_hash": "0" * 64}, trajs


def _edited_gold(info: dict, trajs: list) -> tuple[dict, list]:
    """Rewrite the gold answer of failing episodes to the wrong answer given, so re-scoring agrees."""
    for t in _failing(trajs):
        t["task"]["gold"]["answer"] = t["metrics"]["answer"]
    return info, trajs


def _duplicated_episode(info: dict, trajs: list) -> tuple[dict, list]:
    good = next(t for t in trajs if t["metrics"]["success"])
    return info, trajs + [json.loads(json.dumps(good))]


def _extra_sample(info: dict, trajs: list) -> tuple[dict, list]:
    """A third sample of a task that succeeded, in a run that claims two."""
    extra = json.loads(json.dumps(next(t for t in trajs if t["metrics"]["success"])))
    extra.update(id=f"{extra['task']['id']}#2", sample=2)
    return info, trajs + [extra]


def _successes_copied_over_failures(info: dict, trajs: list) -> tuple[dict, list]:
    """Replace each failing sample by a renamed copy of a successful sample of the same task."""
    by_task = {(t["task"]["id"]): t for t in trajs if t["metrics"]["success"]}
    out = []
    for t in trajs:
        if not t["metrics"]["success"] and t["task"]["id"] in by_task:
            copy = json.loads(json.dumps(by_task[t["task"]["id"]]))
            copy.update(id=t["id"], sample=t["sample"])
            t = copy
        out.append(t)
    return {**info, "scores": rescored_claims(out, info["harness"]["samples"])}, out


TAMPERINGS = {
    "edited run score": (_edited_run_score, "score_mismatch", "scores.success_rate"),
    "edited episode scores": (_edited_episode_score, "score_mismatch", "metrics.success"),
    "dropped failing episodes": (_dropped_failures, "missing_episodes", "missing"),
    "failures relabelled as infra errors": (_relabelled_failures, "infra_errors", "infrastructure"),
    "wrong task-set hash": (_wrong_task_set_hash, "task_set_hash_mismatch", "task-set hash"),
    "edited gold answers": (_edited_gold, "task_mismatch", "differs from the split"),
    "duplicated episode": (_duplicated_episode, "duplicate_episodes", "more than once"),
    "extra sample": (_extra_sample, "extra_episodes", "outside 0..1"),
    "successes copied over failures": (_successes_copied_over_failures, "seed_mismatch", "seed"),
}


def test_valid_bundle_is_ranked_and_tampered_ones_are_rejected_with_the_reason(
        make_server: Any, sqlite_url: str, bundles: dict[str, bytes]) -> None:
    server = make_server(sqlite_url)
    token = server.token("alice")
    info, trajs = unpack(bundles["flaky"])
    assert _failing(trajs), "the flaky run must have failing episodes for the tampering to matter"
    for name, (tamper, reason, words) in TAMPERINGS.items():
        edited = tamper(json.loads(json.dumps(info)), json.loads(json.dumps(trajs)))
        resp = server.upload(repack(*edited), token)
        assert resp.status_code == 422, (name, resp.text)
        body = resp.json()
        assert (body["error"], body["reason"]) == ("rejected", reason), (name, body)
        assert words in body["message"], (name, body["message"])
    assert server.http.get("/api/envs/calculator").json()["rows"] == []

    ok = server.upload(bundles["flaky"], token)
    assert ok.status_code == 201, ok.text
    accepted = ok.json()
    assert accepted["rank"] == 1 and accepted["submitter"] == "alice"
    claimed = info["scores"]
    assert accepted["scores"]["success_rate"] == pytest.approx(claimed["success_rate"])
    assert 0 < accepted["scores"]["success_rate"] < 1
    rows = server.http.get("/api/envs/calculator").json()["rows"]
    assert [(r["id"], r["model"], r["organisation"]) for r in rows] == [(accepted["id"], "flaky-model", "acme")]
    assert rows[0]["ci95"] == pytest.approx(claimed["ci95"]["success_rate"])
    assert rows[0]["pass_hat_k"] == pytest.approx(claimed["pass_hat_k"]["2"])
    assert "policy=flaky-oracle" in rows[0]["harness_label"] and "k=2" in rows[0]["harness_label"]
    page = server.http.get("/envs/calculator").text
    assert accepted["id"] in page and "flaky-model" in page

    again = server.upload(bundles["flaky"], token)
    assert again.status_code == 409 and again.json()["submission_id"] == accepted["id"]


def test_unauthenticated_and_wrong_token_uploads_are_refused(make_server: Any, sqlite_url: str,
                                                             bundles: dict[str, bytes]) -> None:
    server = make_server(sqlite_url)
    server.token("alice")
    for headers, error in [({}, "unauthenticated"), ({"Authorization": "Basic YTpi"}, "unauthenticated"),
                           ({"Authorization": "Bearer agl_not-a-real-token"}, "invalid_token")]:
        resp = server.http.post("/api/submissions", content=bundles["oracle"], headers=headers)
        assert resp.status_code == 401, resp.text
        assert resp.json()["error"] == error
        assert "Bearer" in resp.headers["www-authenticate"]
    assert server.http.get("/api/health").json()["submissions"] == 0


def test_garbage_and_schema_errors_get_clear_json_errors(make_server: Any, sqlite_url: str,
                                                         bundles: dict[str, bytes]) -> None:
    server = make_server(sqlite_url)
    token = server.token("alice")
    resp = server.upload(b"this is not an archive", token)
    assert resp.status_code == 400 and resp.json()["reason"] == "bad_bundle"
    info, trajs = unpack(bundles["oracle"])
    del info["model"]
    resp = server.upload(repack(info, trajs), token)
    assert resp.status_code == 422 and resp.json()["reason"] == "schema"
    assert "model" in resp.json()["message"]
    assert server.upload(b"", token).status_code == 400


def test_rate_limit_per_token(make_server: Any, sqlite_url: str, bundles: dict[str, bytes]) -> None:
    server = make_server(sqlite_url, "--rate-limit", "2/hour")
    alice, bob = server.token("alice"), server.token("bob")
    assert server.upload(b"junk", alice).status_code == 400
    assert server.upload(bundles["oracle"], alice).status_code == 201
    limited = server.upload(bundles["flaky"], alice)
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    assert int(limited.headers["retry-after"]) > 0
    assert server.upload(bundles["flaky"], bob).status_code == 201  # other tokens are unaffected


def _raw_upload(port: int, token: str, headers: str, body_chunks: Any) -> tuple[bytes, int]:
    """Send an upload over a raw socket, reading the response concurrently; return (response, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port))
    response = bytearray()

    def reader() -> None:
        try:
            while chunk := sock.recv(65536):
                response.extend(chunk)
        except ConnectionResetError:
            pass  # the server closed the connection with our unread upload still in flight

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    sent = 0
    try:
        sock.sendall((f"POST /api/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                      f"Content-Type: application/gzip\r\n{headers}\r\n").encode())
        for chunk in body_chunks:
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading: what we want
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    t.join(timeout=30)
    sock.close()
    return bytes(response), sent


def test_oversized_uploads_are_refused_without_reading_them_into_memory(make_server: Any, sqlite_url: str
                                                                        ) -> None:
    server = make_server(sqlite_url, "--max-upload-mb", "1")
    token = server.token("alice")
    peak_before = server.peak_rss_kib()
    offered = 512 * 1024 * 1024
    chunk = b"\0" * (1 << 20)

    # declared too large: refused from the headers alone
    resp, sent = _raw_upload(server.port, token, f"Content-Length: {offered}\r\n", iter([chunk] * 512))
    assert resp.startswith(b"HTTP/1.1 413"), resp[:200]
    assert b'"too_large"' in resp
    assert sent < offered // 4, "the server kept reading an upload declared too large"
    # streamed with no declared length: refused once the limit is passed, long before the end
    chunked = (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(512))
    resp, sent = _raw_upload(server.port, token, "Transfer-Encoding: chunked\r\n", chunked)
    assert resp.startswith(b"HTTP/1.1 413"), resp[:200]
    assert b"exceeds the limit" in resp
    assert sent < offered // 4, "the server kept reading an oversized upload"
    # and its peak memory did not grow by anything like the offered size
    assert server.peak_rss_kib() - peak_before < 64 * 1024
    assert server.http.get("/api/health").json() == {"status": "ok", "submissions": 0}


def test_compression_bomb_is_refused(make_server: Any, sqlite_url: str, bundles: dict[str, bytes]) -> None:
    import gzip
    import io
    import tarfile

    server = make_server(sqlite_url, "--max-uncompressed-mb", "32")
    token = server.token("alice")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        member = tarfile.TarInfo("trajectories.jsonl")
        member.size = 64 * 1024 * 1024  # twice the uncompressed limit, in a 64 KiB upload
        tar.addfile(member, _Zeros(member.size))
    assert len(buf.getvalue()) < 1024 * 1024
    resp = server.upload(buf.getvalue(), token)
    assert resp.status_code == 413 and resp.json()["error"] == "too_large", resp.text


class _Zeros:
    """A file of n zero bytes, produced as it is read."""

    def __init__(self, n: int):
        self.left = n

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        self.left -= size
        return b"\0" * size


def test_submit_cli_uploads_and_admin_hides(make_server: Any, sqlite_url: str, runs: dict[str, Path],
                                           bundles: dict[str, bytes]) -> None:
    import re
    import subprocess

    from leaderboard_helpers import AGENTGYM

    server = make_server(sqlite_url)
    token = server.token("alice")
    submit = [AGENTGYM, "submit", str(runs["oracle"]), "--server", server.url, "--model", "cli-model"]
    wrong = subprocess.run([*submit, "--token", "agl_wrong"], capture_output=True, text=True)
    assert wrong.returncode == 1 and "401 invalid_token" in wrong.stderr
    done = subprocess.run([*submit, "--token", token], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    sub_id = re.search(r"submission ([0-9a-f]{32}) ranks #1", done.stdout).group(1)  # type: ignore[union-attr]
    assert server.http.get(f"/api/submissions/{sub_id}").json()["model"] == "cli-model"
    keep_id = server.upload(bundles["flaky"], token).json()["id"]
    out = subprocess.run([AGENTGYM, "leaderboard", "hide", sub_id, "--db", sqlite_url], capture_output=True,
                         text=True, check=True)
    assert sub_id in out.stdout
    assert [r["id"] for r in server.http.get("/api/envs/calculator").json()["rows"]] == [keep_id]
    assert server.http.get(f"/api/submissions/{sub_id}").status_code == 404
    assert server.http.get(f"/submissions/{sub_id}").status_code == 404
    assert sub_id not in server.http.get("/envs/calculator/compare").text
    missing = subprocess.run([AGENTGYM, "leaderboard", "hide", "nope", "--db", sqlite_url], capture_output=True,
                             text=True)
    assert missing.returncode == 2 and "no submission" in missing.stderr


def test_token_cli_prints_a_token_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    import sqlite3
    import subprocess

    from leaderboard_helpers import AGENTGYM

    db = tmp_path / "lb.db"
    out = subprocess.run([AGENTGYM, "leaderboard", "token", "create", "acme", "--db", str(db)],
                         capture_output=True, text=True, check=True)
    token = out.stdout.strip()
    assert token.startswith("agl_") and len(token) > 40
    stored = sqlite3.connect(db).execute("select name, token_hash from submitters").fetchall()
    assert stored == [("acme", __import__("hashlib").sha256(token.encode()).hexdigest())]
    again = subprocess.run([AGENTGYM, "leaderboard", "token", "create", "acme", "--db", str(db)],
                           capture_output=True, text=True)
    assert again.returncode == 2 and "already exists" in again.stderr


# ------------------------------------------------------------------------------------ both databases
def _variant(data: bytes, i: int) -> bytes:
    info, trajs = unpack(data)
    return repack({**info, "model": f"model-{i:02d}"}, trajs)


def test_50_concurrent_uploads_keep_the_database_consistent_and_survive_a_restart(
        make_server: Any, db_url: str, runs: dict[str, Path], bundles: dict[str, bytes]) -> None:
    server = make_server(db_url)
    tokens = [server.token(f"team-{i}") for i in range(5)]
    small = {name: pack_run(runs[name], model="m") for name in ("oracle-k1", "flaky-k1")}
    uploads = [(_variant(small["oracle-k1" if i % 2 else "flaky-k1"], i), tokens[i % 5]) for i in range(50)]
    with ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(lambda u: server.upload(*u), uploads))
    assert [r.status_code for r in responses] == [201] * 50, [r.text for r in responses if r.status_code != 201]
    ids = [r.json()["id"] for r in responses]
    assert len(set(ids)) == 50
    # the same bundle uploaded 10 times at once is stored exactly once
    same = _variant(small["flaky-k1"], 99)
    with ThreadPoolExecutor(10) as pool:
        dup = list(pool.map(lambda t: server.upload(same, t), tokens * 2))
    assert sorted(r.status_code for r in dup) == [201] + [409] * 9, [r.text for r in dup]
    ids.append(next(r.json()["id"] for r in dup if r.status_code == 201))

    def snapshot() -> tuple[list[dict[str, Any]], dict[str, bytes]]:
        rows = server.http.get("/api/envs/calculator").json()["rows"]
        blobs = {r["id"]: server.http.get(f"/api/submissions/{r['id']}/bundle").content for r in rows}
        return rows, blobs

    rows, blobs = snapshot()
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert [r["rank"] for r in rows] == [1] * 25 + [26] * 26  # 25 perfect oracle runs, then 26 flaky ones
    uploaded = dict(zip(ids[:50], (u[0] for u in uploads)))
    assert all(blobs[i] == data for i, data in uploaded.items())
    assert {r["submitter"] for r in rows} == {f"team-{i}" for i in range(5)}

    server.stop()
    server.start()  # same database, new process
    assert snapshot() == (rows, blobs)
    detail = server.http.get(f"/api/submissions/{ids[0]}").json()
    assert detail["model"] == "model-00" and detail["scores"]["n_episodes"] == 20
    assert server.upload(_variant(bundles["oracle"], 77), tokens[0]).status_code == 201
