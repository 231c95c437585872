"""The leaderboard HTTP server: a verified upload endpoint, server-rendered pages and a JSON API that
mirrors every page (``/X`` ↔ ``/api/X``).

Uploads are streamed to a spooled temporary file and refused (413) as soon as they pass the size limit, so
an oversized upload is never held in memory. Verification (re-scoring every trajectory) runs in a worker
thread; only the final insert takes a database transaction.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from agentgym.leaderboard import db, store
from agentgym.leaderboard.auth import RateLimiter
from agentgym.leaderboard.bundle import BundleError, BundleTooLargeError, read_bundle
from agentgym.leaderboard.plots import bar_chart, comparison_plot
from agentgym.leaderboard.verify import SubmissionRejected, verify_bundle

log = logging.getLogger("agentgym.leaderboard")
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
_SPOOL_IN_MEMORY = 1 << 20  # bytes of an upload kept in memory before spilling to a temporary file


@dataclass
class Settings:
    db_url: str = field(default_factory=db.default_url)
    max_upload_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 512 * 1024 * 1024
    rate_limit: tuple[int, float] = (60, 3600.0)  # uploads per token per window (seconds)


class ApiError(Exception):
    """An error answered as ``{"error": code, "message": ...}`` (or an HTML page outside ``/api``)."""

    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None,
                 **extra: Any):
        self.status, self.error, self.message, self.headers, self.extra = status, error, message, headers, extra
        super().__init__(message)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app and bring its database schema to the latest migration."""
    settings = settings or Settings()
    engine = db.make_engine(settings.db_url)
    db.migrate(engine)
    sessions = db.session_factory(engine)
    limiter = RateLimiter(*settings.rate_limit)
    app = FastAPI(title="agentgym leaderboard", docs_url="/api/docs", openapi_url="/api/openapi.json",
                  redoc_url=None)
    app.state.settings, app.state.engine, app.state.sessions = settings, engine, sessions

    # ------------------------------------------------------------------------------------------- errors
    def error_response(request: Request, status: int, error: str, message: str,
                       headers: dict[str, str] | None = None, **extra: Any) -> Response:
        if status in (401, 413, 429) and request.method == "POST":
            # refused before the body was read: close the connection rather than drain an unwanted upload
            headers = {**(headers or {}), "Connection": "close"}
        if request.url.path.startswith("/api"):
            return JSONResponse({"error": error, "message": message, **extra}, status_code=status,
                                headers=headers)
        return TEMPLATES.TemplateResponse(request, "error.html", {"status": status, "error": error,
                                                                  "message": message}, status_code=status)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request, exc.status, exc.error, exc.message, exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal_error", f"the server failed ({type(exc).__name__}); "
                              "retry later, and report it if it persists")

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, "invalid_request", "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))

    # ------------------------------------------------------------------------------------------- upload
    @app.post("/api/submissions", status_code=201)
    async def upload(request: Request) -> JSONResponse:
        """Upload a bundle (``application/gzip`` body) with ``Authorization: Bearer <token>``."""
        submitter = await run_in_threadpool(_authenticate, sessions, request)
        wait = limiter.check(str(submitter.id))
        if wait is not None:
            raise ApiError(429, "rate_limited", f"at most {settings.rate_limit[0]} uploads per "
                           f"{settings.rate_limit[1]:g} s per token; retry in {wait:.0f} s",
                           headers={"Retry-After": str(int(wait) + 1)})
        limit = settings.max_upload_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ApiError(413, "too_large", f"the upload declares {declared} bytes; the limit is {limit}")
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            received = 0
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise ApiError(413, "too_large", f"the upload exceeds the limit of {limit} bytes")
                spool.write(chunk)
            if received == 0:
                raise ApiError(400, "bad_bundle", "the request body is empty; send the bundle archive")
            return await run_in_threadpool(_accept, spool, submitter.id, submitter.name)

    def _accept(spool: Any, submitter_id: int, submitter_name: str) -> JSONResponse:
        try:
            bundle = read_bundle(spool, max_uncompressed=settings.max_uncompressed_bytes)
            verified = verify_bundle(bundle)
        except BundleTooLargeError as exc:
            raise ApiError(413, "too_large", exc.message) from None
        except BundleError as exc:
            raise ApiError(400 if exc.reason == "bad_bundle" else 422, "rejected", exc.message,
                           reason=exc.reason) from None
        except SubmissionRejected as exc:
            raise ApiError(422, "rejected", exc.message, reason=exc.reason) from None
        spool.seek(0)
        try:
            sub_id = store.add_submission(sessions, submitter_id, bundle, spool.read(), verified)
        except store.DuplicateSubmissionError as exc:
            raise ApiError(409, "duplicate_submission", str(exc), submission_id=exc.existing_id) from None
        rows = store.leaderboard(sessions, bundle.info.env, bundle.info.split)
        rank = next((r["rank"] for r in rows if r["id"] == sub_id), None)
        return JSONResponse({"id": sub_id, "submitter": submitter_name, "rank": rank,
                             "url": f"/submissions/{sub_id}", "scores": verified.scores}, status_code=201)

    # ------------------------------------------------------------------------------------------- data
    def envs_data() -> dict[str, Any]:
        return {"envs": store.envs_summary(sessions)}

    def board_data(env: str, split: str | None) -> dict[str, Any]:
        splits = store.splits_of(sessions, env)
        if split is None:
            split = "test" if "test" in splits or not splits else splits[0]
        return {"env": env, "split": split, "splits": splits, "rows": store.leaderboard(sessions, env, split)}

    def submission_data(submission_id: str) -> dict[str, Any]:
        try:
            sub = store.get_submission(sessions, submission_id)
        except store.SubmissionNotFoundError as exc:
            raise ApiError(404, "not_found", f"{exc} (or it was hidden by an admin)") from None
        scores = sub["scores"]
        sub["per_category"] = {k: _category_value(v) for k, v in (scores.get("per_category") or {}).items()}
        sub["rubric_axes"] = dict((scores.get("rubric") or {}).get("axes") or {})
        return sub

    # ------------------------------------------------------------------------------------------- JSON API
    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "submissions": store.count_submissions(sessions)}

    @app.get("/api/envs")
    def api_envs() -> dict[str, Any]:
        return envs_data()

    @app.get("/api/envs/{env}")
    def api_board(env: str, split: str | None = None) -> dict[str, Any]:
        return board_data(env, split)

    @app.get("/api/envs/{env}/compare")
    def api_compare(env: str, split: str | None = None) -> dict[str, Any]:
        data = board_data(env, split)
        return {"env": env, "split": data["split"], "points": [
            {k: r[k] for k in ("id", "model", "organisation", "success_rate", "ci95", "pass_hat_k", "samples",
                               "rubric_total", "harness_label")} for r in data["rows"]]}

    @app.get("/api/submissions/{submission_id}")
    def api_submission(submission_id: str) -> dict[str, Any]:
        return submission_data(submission_id)

    @app.get("/api/submissions/{submission_id}/bundle")
    def api_bundle(submission_id: str) -> Response:
        try:
            data = store.get_bundle(sessions, submission_id)
        except store.SubmissionNotFoundError as exc:
            raise ApiError(404, "not_found", str(exc)) from None
        return Response(data, media_type="application/gzip", headers={
            "Content-Disposition": f'attachment; filename="{submission_id}.tar.gz"'})

    # ------------------------------------------------------------------------------------------- pages
    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> Response:
        return TEMPLATES.TemplateResponse(request, "index.html", envs_data())

    @app.get("/envs/{env}", response_class=HTMLResponse)
    def board_page(request: Request, env: str, split: str | None = None) -> Response:
        return TEMPLATES.TemplateResponse(request, "leaderboard.html", board_data(env, split))

    @app.get("/envs/{env}/compare", response_class=HTMLResponse)
    def compare_page(request: Request, env: str, split: str | None = None) -> Response:
        data = board_data(env, split)
        data["plot"] = comparison_plot(data["rows"], title=f"{env}/{data['split']}: success rate with 95% CI "
                                                           "and pass^k per submission")
        return TEMPLATES.TemplateResponse(request, "compare.html", data)

    @app.get("/submissions/{submission_id}", response_class=HTMLResponse)
    def submission_page(request: Request, submission_id: str) -> Response:
        sub = submission_data(submission_id)
        context = {"sub": sub, "category_plot": bar_chart(
            sorted(sub["per_category"].items()), title="success rate per category", css_class="bars categories"),
            "axes_plot": bar_chart(sorted(sub["rubric_axes"].items()), title="rubric score per axis",
                                   css_class="bars axes"),
            "headline": {k: v for k, v in sub["scores"].items() if isinstance(v, int | float)},
            "scores_json": json.dumps(sub["scores"], indent=1, sort_keys=True)}
        return TEMPLATES.TemplateResponse(request, "submission.html", context)

    return app


def _authenticate(sessions: store.Sessions, request: Request) -> Any:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="agentgym-leaderboard"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "send your API token as 'Authorization: Bearer <token>' "
                       "(an admin creates one with `agentgym leaderboard token create NAME`)", headers=challenge)
    submitter = store.authenticate(sessions, token.strip())
    if submitter is None:
        raise ApiError(401, "invalid_token", "the API token is not valid (wrong, or revoked)",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return submitter


def _category_value(value: Any) -> float | None:
    """A per-category entry is a number or a dict of metrics; the bar shows its success rate."""
    if isinstance(value, dict):
        value = value.get("success_rate", value.get("mean_reward"))
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the server with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False)
