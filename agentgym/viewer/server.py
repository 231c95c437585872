"""A small local web server for browsing run directories (stdlib ``http.server`` + Jinja2 pages).

It binds 127.0.0.1 only: trajectories can hold private prompts and gold answers, so they are never served
beyond this machine. Pages are server-rendered (every filter is a plain GET form, so links are shareable
and nothing needs a build step); a few lines of JavaScript only add conveniences.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2

from agentgym.viewer.data import Filters, RunSet
from agentgym.viewer.timeline import episode_view

__all__ = ["ViewerServer"]

_PKG = resources.files("agentgym.viewer")
_STATIC = {"style.css": "text/css", "viewer.js": "text/javascript"}
#: rows the list shows at first; a big run is browsed through filters, or ``?limit=N`` for more
LIST_LIMIT = 500


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_PKG / "templates")),
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = lambda v, nd=3: "—" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else v)
    env.globals["urlencode"] = urlencode
    return env


class ViewerServer:
    """Serve the viewer for ``runs`` on 127.0.0.1:``port`` (0 picks a free port).

    ``start()`` runs it in a daemon thread (for tests and notebooks); ``serve_forever()`` blocks (the CLI).
    Use as a context manager to stop it on exit.
    """

    def __init__(self, runs: list[str | Path], port: int = 0, host: str = "127.0.0.1"):
        self.runs = RunSet(runs)
        self.pages = _templates()
        self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> ViewerServer:
        if self._thread is not None:  # already serving
            return self
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="agentgym-viewer", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> ViewerServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ pages
    def render(self, path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        """Answer one GET: (status, content type, body)."""
        if path.startswith("/static/") and path[8:] in _STATIC:
            return 200, _STATIC[path[8:]], (_PKG / "static" / path[8:]).read_bytes()
        self.runs.refresh()
        if path == "/":
            return self._html("list.html", **self._list(query))
        if path == "/episode":
            try:
                run = self.runs.get(int(query.get("run", "")))
                traj = run.trajectory(int(query.get("i", "")))
            except (KeyError, ValueError, IndexError):
                return self._not_found("no such episode")
            others = [(r, r.find(traj.task.id, traj.sample)) for r in self.runs.runs if r is not run]
            return self._html("episode.html", run=run, ep=episode_view(traj),
                              others=[(r, i) for r, i in others if i is not None])
        if path == "/compare":
            return self._compare(query)
        if path == "/api/episodes":
            eps = self.runs.episodes(Filters(**{k: v for k, v in query.items() if k in Filters.__slots__}))
            body = json.dumps([{s: getattr(e, s) for s in e.__slots__} for e in eps]).encode()
            return 200, "application/json", body
        return self._not_found(f"no page at {path}")

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        filters = Filters(**{k: v for k, v in query.items() if k in Filters.__slots__})
        episodes = self.runs.episodes(filters)
        limit = int(query["limit"]) if query.get("limit", "").isdigit() else LIST_LIMIT
        shared = set(self.runs.shared_tasks())
        more = dict(query, limit=str(limit * 4)) if len(episodes) > limit else None
        return {"runs": self.runs.runs, "episodes": episodes[:limit], "matched": len(episodes), "more": more,
                "filters": filters, "choices": self.runs.choices(), "shared": shared,
                "total": sum(len(r.episodes) for r in self.runs.runs)}

    def _compare(self, query: dict[str, str]) -> tuple[int, str, bytes]:
        task = query.get("task", "")
        shared = self.runs.shared_tasks()
        if len(self.runs.runs) < 2:
            return self._not_found("comparing needs two runs: agentgym view RUN_A RUN_B")
        try:
            a, b = self.runs.get(int(query.get("a", 0))), self.runs.get(int(query.get("b", 1)))
            sample = int(query.get("sample", 0))
        except (KeyError, ValueError):
            return self._not_found("no such run")
        task = task or (shared[0] if shared else "")
        sides = []
        for run in (a, b):
            i = run.find(task, sample)
            sides.append((run, i, episode_view(run.trajectory(i)) if i is not None else None))
        return self._html("compare.html", runs=self.runs.runs, task=task, shared=shared, sides=sides, a=a, b=b)

    def _html(self, name: str, **ctx: Any) -> tuple[int, str, bytes]:
        return 200, "text/html; charset=utf-8", self.pages.get_template(name).render(**ctx).encode()

    def _not_found(self, message: str) -> tuple[int, str, bytes]:
        body = self.pages.get_template("error.html").render(message=message).encode()
        return 404, "text/html; charset=utf-8", body


def _handler(viewer: ViewerServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            try:
                status, ctype, body = viewer.render(url.path, query)
            except Exception as exc:  # a broken page must not take the viewer down
                status, ctype = HTTPStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8"
                body = f"viewer error: {type(exc).__name__}: {exc}".encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the CLI prints the URL only
            pass

    return Handler
