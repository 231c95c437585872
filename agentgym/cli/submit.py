"""``agentgym submit``: pack a finished run into a bundle and upload it to a leaderboard.

``--dry-run`` runs the server's own verification locally (schema, task-set hash, complete episodes,
re-scoring) so a submitter learns about a problem before uploading.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from agentgym.cli.common import console, err_console, user_errors


def register(app: typer.Typer) -> None:
    app.command("submit")(submit)


def submit(run: Path = typer.Argument(..., help="A finished `agentgym run` output directory."),
           server: str = typer.Option(None, help="Leaderboard URL, e.g. http://127.0.0.1:8000."),
           token: str = typer.Option(None, envvar="AGENTGYM_LEADERBOARD_TOKEN",
                                     help="Your API token (or $AGENTGYM_LEADERBOARD_TOKEN)."),
           model: str = typer.Option(None, help="Model name shown on the leaderboard (default: the run's)."),
           organisation: str = typer.Option("", help="Organisation shown next to the model."),
           dry_run: bool = typer.Option(False, "--dry-run", help="Only pack and verify locally; upload nothing."),
           output: Path = typer.Option(None, help="Also write the bundle (.tar.gz) to this file."),
           timeout: float = typer.Option(300.0, help="Upload timeout in seconds.")) -> None:
    """Pack RUN and upload it; the server re-scores every trajectory before ranking it.

    Examples:
      agentgym submit runs/calc --dry-run --model my-model
      agentgym submit runs/calc --server http://127.0.0.1:8000 --token $TOKEN --organisation acme
    """
    import io

    from agentgym.leaderboard.bundle import BundleError, pack_run, read_bundle
    from agentgym.leaderboard.verify import SubmissionRejected, verify_bundle

    with user_errors():
        data = pack_run(run, model=model, organisation=organisation)
    if output:
        output.write_bytes(data)
    if dry_run:
        try:
            verified = verify_bundle(read_bundle(io.BytesIO(data)))
        except (BundleError, SubmissionRejected) as exc:
            err_console.print(f"[bold red]rejected ({getattr(exc, 'reason', 'invalid')}):[/] {exc.message}")
            raise typer.Exit(1) from None
        scores = verified.scores
        console.print(f"bundle OK ({len(data)} bytes, {len(verified.trajectories)} episodes): "
                      f"success_rate={scores.get('success_rate'):.4f}; not uploaded (--dry-run)")
        return
    if not server or not token:
        raise typer.BadParameter("uploading needs --server and --token (or use --dry-run)")
    import httpx

    url = server.rstrip("/") + "/api/submissions"
    try:
        resp = httpx.post(url, content=data, timeout=timeout, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/gzip"})
    except httpx.HTTPError as exc:
        err_console.print(f"[bold red]error:[/] could not reach {url}: {exc}")
        raise typer.Exit(2) from None
    try:
        body = resp.json()
    except json.JSONDecodeError:
        body = {"message": resp.text[:500]}
    if resp.status_code != 201:
        reason = body.get("reason") or body.get("error") or resp.status_code
        err_console.print(f"[bold red]refused ({resp.status_code} {reason}):[/] {body.get('message', body)}")
        raise typer.Exit(1)
    console.print(f"accepted: submission {body['id']} ranks #{body['rank']}; "
                  f"{server.rstrip('/')}{body['url']}")
