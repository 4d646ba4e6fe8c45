"""Reading the repository's Dockerfiles, and replaying an image's Python install without Docker.

There is no Docker engine on the CI machines, so ``replay_build`` does what ``docker build``
would do for the part that can break when the workspace changes: it copies exactly what the
base ``builder`` stage and the service's ``build`` stage COPY (``.dockerignore`` applied) into
a scratch ``/src``, then runs the same ``install-venv`` commands with the venv in a scratch
``/opt/venv``. What it cannot replay: base images, apt/pip inside them, BuildKit mounts, the
Node UI stage. One substitution: the PyTorch CPU index is not reachable from these machines,
so ``install-venv``'s ``uv pip install --index-url https://download.pytorch.org/whl/cpu
torch==X+cpu`` installs the machine's local CPU wheel (``/opt/wheels``, possibly another torch
version) instead; ``CPU_TORCH_WHEEL`` is None where there is none.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy/docker/base.Dockerfile"
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
CPU_TORCH_WHEEL = next(iter(sorted(Path("/opt/wheels").glob("torch-*+cpu-*.whl"))), None)

_UV_SHIM = """#!{python}
# Replay shim: uv, except that the CPU torch from the PyTorch index comes from a local wheel.
import os, sys
args = sys.argv[1:]
if "{index}" in args:
    at = args.index("{index}")
    del args[at - 1 : at + 1]
    args = ["{wheel}" if a.startswith("torch==") else a for a in args]
os.execv("{uv}", ["uv", *args])
"""

Instruction = tuple[str, str]


def instructions(path: Path) -> list[Instruction]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        keyword, _, rest = stripped.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def stages(path: Path) -> list[list[Instruction]]:
    """The instructions of each stage, each list starting with its FROM."""
    found: list[list[Instruction]] = []
    for keyword, rest in instructions(path):
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def stage(path: Path, name: str) -> list[Instruction]:
    """The stage ``FROM ... AS name``."""
    for candidate in stages(path):
        if candidate[0][1].endswith(f" AS {name}"):
            return candidate
    raise KeyError(f"{path}: no stage {name!r}")


def copy_sources(steps: list[Instruction]) -> list[tuple[list[str], str]]:
    """(context sources, destination) of each COPY that reads the build context."""
    out = []
    for keyword, rest in steps:
        if keyword != "COPY" or "--from=" in rest:
            continue
        *sources, dest = [word for word in rest.split() if not word.startswith("--")]
        out.append((sources, dest))
    return out


def dockerignore(root: Path = ROOT) -> list[str]:
    lines = (root / ".dockerignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"]


def ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's matching for the patterns this repository uses (``**/name``, ``dir``, globs)."""
    parts = relative.split("/")
    for pattern in patterns:
        if pattern.startswith("**/"):
            tail = pattern[3:]
            if any(fnmatch.fnmatchcase(part, tail) for part in parts):
                return True
        else:
            prefixes = ("/".join(parts[:n]) for n in range(1, len(parts) + 1))
            if any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
                return True
    return False


@dataclass(frozen=True)
class Replay:
    """Where a replayed build put its venv, and the commands' combined output."""

    venv: Path
    log: str


def _args(steps: list[Instruction]) -> dict[str, str]:
    return dict(
        rest.partition("=")[::2] for keyword, rest in steps if keyword == "ARG" and "=" in rest
    )


def _copy(sources: list[str], dest: str, workdir: Path, scratch: Path, patterns: list[str]) -> None:
    target = scratch / dest.lstrip("/") if dest.startswith("/") else workdir / dest
    for source in sources:
        src = ROOT / source
        if src.is_file():
            into = target / src.name if dest.endswith("/") else target
            into.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, into)
            continue
        for path in src.rglob("*"):
            relative = path.relative_to(ROOT).as_posix()
            if path.is_file() and not ignored(relative, patterns):
                into = target / path.relative_to(src)
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, into)


def replay_build(dockerfile: Path, scratch: Path, build_stage: str = "build") -> Replay:
    """Replay the base ``builder`` stage's and ``dockerfile``'s build-stage COPY/install steps."""
    patterns = dockerignore()
    workdir = scratch / "src"
    venv = scratch / "opt/venv"
    env = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON": sys.base_prefix + "/bin/python3",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_LINK_MODE": "hardlink",  # the image copies; hardlinks from the warm cache are faster
        "UV_COMPILE_BYTECODE": "0",
        "UV_NO_PROGRESS": "1",
        "VIRTUAL_ENV": "",
        "PATH": f"{scratch / 'usr/local/bin'}{os.pathsep}{os.environ['PATH']}",
    }
    shims = scratch / "shim"
    shims.mkdir(parents=True)
    uv = shutil.which("uv")
    assert uv is not None, "uv not on PATH"
    shim = shims / "uv"
    shim.write_text(
        _UV_SHIM.format(python=sys.executable, index=TORCH_INDEX, wheel=CPU_TORCH_WHEEL, uv=uv)
    )
    shim.chmod(0o755)
    env["PATH"] = f"{shims}{os.pathsep}{env['PATH']}"
    log = []
    for steps in (stage(BASE, "builder"), stage(dockerfile, build_stage)):
        args = _args(steps)
        for keyword, rest in steps:
            if keyword == "WORKDIR":
                workdir = scratch / rest.lstrip("/")
                workdir.mkdir(parents=True, exist_ok=True)
            elif keyword == "COPY" and "--from=" not in rest:
                ((sources, dest),) = copy_sources([(keyword, rest)])
                _copy(sources, dest, workdir, scratch, patterns)
            elif keyword == "RUN" and "install-venv" in rest:
                command = rest[rest.index("install-venv") :]
                for name, value in args.items():
                    command = command.replace("${" + name + "}", value)
                command = command.replace('"', "")
                result = subprocess.run(
                    ["sh", "-c", command], cwd=workdir, env=env, capture_output=True, text=True
                )
                log.append(f"$ {command}\n{result.stdout}{result.stderr}")
                if result.returncode != 0:
                    raise AssertionError(f"{dockerfile}: {command} failed:\n" + "\n".join(log))
    return Replay(venv=venv, log="\n".join(log))
