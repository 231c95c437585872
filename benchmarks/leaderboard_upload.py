"""Leaderboard upload throughput: verification time per bundle, 50 concurrent uploads against a real server
(SQLite file), and the server's peak-memory growth while an oversized upload is refused.

Last line: ``verify_ms=… uploads_per_s=… concurrent50_s=… oversized_rss_growth_mib=…``.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "leaderboard"))

from leaderboard_helpers import FlakyOraclePolicy, Server, free_port, make_run, repack, unpack  # noqa: E402

from agentgym.leaderboard.bundle import pack_run, read_bundle  # noqa: E402
from agentgym.leaderboard.verify import verify_bundle  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        run = make_run(base / "flaky", FlakyOraclePolicy(), samples=1)
        data = pack_run(run)
        verify_bundle(read_bundle(io.BytesIO(data)))  # warm imports
        t0 = time.perf_counter()
        for _ in range(10):
            verify_bundle(read_bundle(io.BytesIO(data)))
        verify_ms = (time.perf_counter() - t0) / 10 * 1000
        print(f"verify+read of a {len(data)}-byte bundle (20 episodes): {verify_ms:.1f} ms")

        info, trajs = unpack(data)
        bundles = [repack({**info, "model": f"model-{i}"}, trajs) for i in range(50)]
        server = Server(f"sqlite:///{base / 'lb.db'}", free_port(),
                        ["--rate-limit", "10000/minute", "--max-upload-mb", "1"]).start()
        try:
            tokens = [server.token(f"team-{i}") for i in range(5)]
            t0 = time.perf_counter()
            with ThreadPoolExecutor(50) as pool:
                codes = list(pool.map(lambda i: server.upload(bundles[i], tokens[i % 5]).status_code, range(50)))
            wall = time.perf_counter() - t0
            assert codes == [201] * 50, codes
            print(f"50 concurrent uploads: {wall:.2f} s")

            import socket

            before = server.peak_rss_kib()
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(f"POST /api/submissions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tokens[0]}\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n".encode())
            chunk = b"\0" * (1 << 20)
            try:
                for _ in range(256):
                    sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except OSError:
                pass
            sock.close()
            time.sleep(0.5)
            growth = (server.peak_rss_kib() - before) / 1024
            print(f"peak RSS growth while refusing a 256 MiB upload (limit 1 MiB): {growth:.1f} MiB")
        finally:
            server.stop()
    print(f"verify_ms={verify_ms:.1f} uploads_per_s={50 / wall:.1f} concurrent50_s={wall:.2f} "
          f"oversized_rss_growth_mib={growth:.1f}")


if __name__ == "__main__":
    main()
