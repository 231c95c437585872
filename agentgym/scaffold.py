"""``agentgym new-env NAME``: a working env project (env, tools, simulated user, oracle, task generator,
env card, tests), installed as a plugin so every agentgym command finds it at once.

The scaffold is a separate package with its own ``agentgym.envs`` entry point — the same path a
third-party env takes — so nothing in agentgym itself changes when someone adds an env.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path
from string import Template

from agentgym.errors import ConfigError
from agentgym.registry import list_envs
from agentgym.taskstore import write_tasks

TEMPLATES = Path(__file__).parent / "templates" / "new_env"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def scaffold(name: str, parent: Path, install: bool = True) -> Path:
    """Write ``parent/name/`` and (by default) ``pip install -e`` it into this interpreter's environment."""
    if not _NAME.match(name):
        raise ConfigError(f"env name {name!r}: use lowercase letters, digits and underscores, starting with a letter")
    if name in list_envs():
        raise ConfigError(f"an env named {name!r} already exists; pick another name")
    root = parent / name
    if root.exists():
        raise ConfigError(f"{root} already exists; remove it or choose another --path")
    values = {"name": name, "package": name, "dist": f"agentgym-{name.replace('_', '-')}",
              "cls": "".join(p.capitalize() for p in name.split("_")) + "Env"}
    layout = {
        "pyproject.toml.tmpl": "pyproject.toml", "README.md.tmpl": "README.md",
        "__init__.py.tmpl": f"{name}/__init__.py", "env.py.tmpl": f"{name}/env.py",
        "world.py.tmpl": f"{name}/world.py", "user.py.tmpl": f"{name}/user.py",
        "oracle.py.tmpl": f"{name}/oracle.py", "test_env.py.tmpl": f"tests/test_{name}.py",
    }
    for template, target in layout.items():
        path = root / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template((TEMPLATES / template).read_text()).substitute(values))
    _generate_tasks(root, name, values["cls"])
    if install:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        "-e", str(root)], check=True)
    return root


def _generate_tasks(root: Path, package: str, cls_name: str) -> None:
    sys.path.insert(0, str(root))
    try:
        env_cls = getattr(importlib.import_module(f"{package}.env"), cls_name)
        for split in env_cls.splits:
            write_tasks(env_cls.task_dir(), split, env_cls.generate_tasks(split))
    finally:
        sys.path.remove(str(root))
        for mod in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[mod]
