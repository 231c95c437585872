"""``agentgym sandbox``: build the docker sandbox image (offline-capable), and clean up stale containers."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import typer

from agentgym.cli.common import console, user_errors
from agentgym.errors import ConfigError, SandboxError

DEFAULT_BASE = "python:3.11-slim"
DEFAULT_TAG = "agentgym-sandbox:latest"
#: what the tool server and env worlds import inside the container, pinned to this machine's versions
RUNTIME_PACKAGES = ("pydantic", "gymnasium", "numpy", "jsonschema", "pyyaml")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Build and manage the docker sandbox image.", no_args_is_help=True)
    group.command("build")(build)
    group.command("base-image")(base_image)
    group.command("reap")(reap)
    app.add_typer(group, name="sandbox")


def repo_root() -> Path:
    import agentgym

    root = Path(agentgym.__file__).resolve().parents[1]
    if not (root / "docker" / "sandbox" / "Dockerfile").exists():
        raise ConfigError(f"docker/sandbox/Dockerfile not found under {root}; build from a source checkout")
    return root


def source_hash(root: Path) -> str:
    """Hash of everything baked into the image, so an unchanged tree is not rebuilt."""
    h = hashlib.sha256()
    files = [root / "docker/sandbox/Dockerfile", root / "setup.py", root / "pyproject.toml"]
    for folder in ("agentgym", "envs", "tasks"):
        files += sorted(p for p in (root / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for f in files:
        if f.exists():
            h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    h.update(repr(sorted(f"{p}=={version(p)}" for p in RUNTIME_PACKAGES)).encode())
    return h.hexdigest()[:16]


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], check=True)


def build(base_image: str = typer.Option(DEFAULT_BASE, help="FROM image; any image with python3 3.11."),
          tag: str = typer.Option(DEFAULT_TAG, help="Name of the image to build."),
          force: bool = typer.Option(False, help="Rebuild even if an image of this source already exists."),
          verbose: bool = typer.Option(False, help="Show docker build's output as it runs.")) -> None:
    """Build the sandbox image from docker/sandbox/Dockerfile, with every wheel in the build context.

    Nothing is downloaded during the build itself. Example (offline, see `agentgym sandbox base-image`):
      agentgym sandbox build --base-image agentgym-base:bookworm
    """
    from agentgym.sandbox.docker import docker_client

    with user_errors():
        root = repo_root()
        client = docker_client()
        digest = source_hash(root)
        if not force:
            try:
                current = client.images.get(tag).labels.get("org.agentgym.source_hash")
            except Exception:  # noqa: BLE001 - not built yet
                current = None
            if current == digest:
                console.print(f"{tag} is up to date (source {digest})")
                return
            if current is not None:
                console.print(f"{tag} is from source {current}, the tree is {digest}: rebuilding")
        with tempfile.TemporaryDirectory(prefix="agentgym-build-") as ctx_dir:
            ctx = Path(ctx_dir)
            shutil.copy(root / "docker/sandbox/Dockerfile", ctx / "Dockerfile")
            pins = [f"{p}=={version(p)}" for p in RUNTIME_PACKAGES]
            (ctx / "requirements.txt").write_text("\n".join(pins) + "\n")
            console.print("collecting wheels: " + ", ".join(pins))
            cache = Path(tempfile.gettempdir()) / "agentgym-wheels" / hashlib.sha256(" ".join(pins).encode()).hexdigest()[:12]
            if not cache.is_dir():  # dependency wheels are reused across builds: only agentgym changes
                _pip("wheel", "--wheel-dir", str(cache.with_suffix(".part")), "-r", str(ctx / "requirements.txt"), "pip")
                cache.with_suffix(".part").rename(cache)
            shutil.copytree(cache, ctx / "wheels")
            _pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(ctx / "agentgym"), str(root))
            console.print(f"building {tag} FROM {base_image}")
            proc = subprocess.run(["docker", "build", "--network", "none", "-t", tag,
                                   "--build-arg", f"BASE_IMAGE={base_image}",
                                   "--build-arg", f"SOURCE_HASH={digest}", str(ctx)],
                                  stdout=None if verbose else subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if proc.returncode:
                tail = "" if verbose else "\n" + "\n".join(proc.stdout.splitlines()[-30:])
                raise SandboxError(f"docker build failed (exit {proc.returncode}){tail}")
        # earlier builds of the tag are now untagged: drop them (prune skips images containers still use)
        client.images.prune(filters={"dangling": True, "label": "org.agentgym.sandbox"})
    console.print(f"built {tag} (source {digest})")


def base_image(name: str = typer.Option("agentgym-base:bookworm", help="Name of the image to create."),
               suite: str = typer.Option("bookworm", help="Debian suite (bookworm has python3 3.11)."),
               mirror: str = typer.Option("http://deb.debian.org/debian", help="Debian mirror."),
               include: str = typer.Option("python3", help="Extra packages, comma-separated.")) -> None:
    """Make an offline base image: `debootstrap --variant=minbase` + `docker import` (no registry pulls).

    Example: agentgym sandbox base-image && agentgym sandbox build --base-image agentgym-base:bookworm
    """
    with user_errors():
        if shutil.which("debootstrap") is None:
            raise SandboxError("debootstrap is not installed: apt-get install -y debootstrap")
        with tempfile.TemporaryDirectory(prefix="agentgym-rootfs-") as rootfs:
            console.print(f"debootstrap {suite} (+{include}) into {rootfs}")
            subprocess.run(["debootstrap", "--variant=minbase", f"--include={include}", suite, rootfs, mirror],
                           check=True, stdout=subprocess.DEVNULL)
            tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
            subprocess.run(["docker", "import", "-", name], stdin=tar.stdout, check=True)
            if tar.wait():
                raise SandboxError("tar of the debootstrap root failed")
    console.print(f"created {name}")


def reap() -> None:
    """Remove sandbox containers left behind by processes that no longer exist."""
    from agentgym.sandbox.docker import docker_client, reap_stale

    with user_errors():
        removed = reap_stale(docker_client())
    console.print(f"removed {len(removed)} stale container(s)" + (": " + ", ".join(removed) if removed else ""))
