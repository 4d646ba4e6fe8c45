"""What the servicers' code says about each RPC: the roles it requires and the error reasons it
may return. Read statically (ast) from services/<name>/tm_<name>/ and the service kit, so the
reference follows the code; an authorization table in the kit, once it exists, wins over the
role checks found here (see :func:`authorization_table`).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from apiref.descriptors import Api

SERVICE_PACKAGES = {
    "IdentityService": "gateway",
    "StrategyService": "strategy",
    "TrainerService": "trainer",
    "BacktestService": "backtest",
    "RiskService": "risk",
    "NotifierService": "notifier",
}
"""Proto service → the folder under services/ that implements it."""

ERROR_CODES = {
    "InvalidArgument": "INVALID_ARGUMENT",
    "NotFound": "NOT_FOUND",
    "AlreadyExists": "ALREADY_EXISTS",
    "PermissionDenied": "PERMISSION_DENIED",
    "Unauthenticated": "UNAUTHENTICATED",
    "FailedPrecondition": "FAILED_PRECONDITION",
    "ResourceExhausted": "RESOURCE_EXHAUSTED",
    "Aborted": "ABORTED",
    "Unavailable": "UNAVAILABLE",
    "Unimplemented": "UNIMPLEMENTED",
    "Internal": "INTERNAL",
}
"""Kit error classes (trademaster.service.errors) → gRPC code; the default reason is the code."""

KIT_MODULES = ("auth.py", "errors.py", "revocation.py")
"""Kit files whose interceptors answer for every RPC."""

AUTHZ_MODULE = "trademaster.service.authz"
_MAX_DEPTH = 4
_MAX_NAMESAKES = 2


@dataclass
class RpcFacts:
    """Found for one RPC: roles required (any of), roles that widen access, reasons by code."""

    required_roles: set[str] = field(default_factory=set)
    role_rules: set[str] = field(default_factory=set)
    reasons: set[tuple[str, str]] = field(default_factory=set)
    authorization: str = ""
    """From the kit's authorization table when it has a row for the RPC."""
    implemented: bool = False


@dataclass
class Analysis:
    rpcs: dict[str, RpcFacts]
    common_reasons: set[tuple[str, str]]
    public_methods: set[str]


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Package:
    """Every function and error class of a set of modules, indexed by simple name."""

    def __init__(self, files: Iterable[Path]) -> None:
        self.functions: dict[str, list[ast.AST]] = {}
        self.error_classes: dict[str, tuple[str, str]] = {
            name: (code, code) for name, code in ERROR_CODES.items()
        }
        self.role_constants: dict[str, set[str]] = {}
        self.classes: list[ast.ClassDef] = []
        self.public_names: set[str] = set()
        for path in files:
            tree = ast.parse(path.read_text(), str(path))
            self._index(tree)

    def _index(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.ClassDef):
                self.classes.append(node)
                self._error_class(node)
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id == "PUBLIC_METHODS":
                    self.public_names |= {
                        text.rsplit("/", 1)[1]
                        for item in ast.walk(node.value)
                        if (text := _const_str(item)) and "/" in text and not text.endswith("/")
                    }
                if isinstance(target, ast.Name):
                    roles = self.roles_in(node.value)
                    if roles:
                        self.role_constants[target.id] = roles

    def _error_class(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            name = base.id if isinstance(base, ast.Name) else ""
            if name in self.error_classes:
                code, reason = self.error_classes[name]
                for item in node.body:
                    if isinstance(item, ast.Assign | ast.AnnAssign):
                        target = item.targets[0] if isinstance(item, ast.Assign) else item.target
                        value = _const_str(item.value)
                        if isinstance(target, ast.Name) and target.id == "default_reason" and value:
                            reason = value
                self.error_classes[node.name] = (code, reason)

    def roles_in(self, node: ast.AST) -> set[str]:
        roles = set()
        for item in ast.walk(node):
            if (
                isinstance(item, ast.Attribute)
                and isinstance(item.value, ast.Name)
                and item.value.id == "Role"
            ):
                roles.add(item.attr.lower())
            elif isinstance(item, ast.Name) and item.id in self.role_constants:
                roles |= self.role_constants[item.id]
        return roles

    def reasons_in(self, function: ast.AST, depth: int = 0, seen: set[int] | None = None) -> set:
        """(code, reason) of every kit error built in ``function`` and what it calls."""
        seen = set() if seen is None else seen
        if id(function) in seen or depth > _MAX_DEPTH:
            return set()
        seen.add(id(function))
        found: set[tuple[str, str]] = set()
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            name = _callee(node)
            if name in self.error_classes:
                code, reason = self.error_classes[name]
                for keyword in node.keywords:
                    if keyword.arg == "reason":
                        reason = _const_str(keyword.value) or reason
                found.add((code, reason))
            elif name in self.functions and len(self.functions[name]) <= _MAX_NAMESAKES:
                for callee in self.functions[name]:
                    found |= self.reasons_in(callee, depth + 1, seen)
        return found

    def role_facts(self, function: ast.AST, depth: int = 0) -> tuple[set[str], set[str]]:
        """Roles required by role checks in the RPC (or a helper it calls); roles that widen
        access (``Role.ADMIN in principal.roles``, ``has_any``)."""
        required: set[str] = set()
        widening: set[str] = set()
        helpers: list[ast.AST] = []
        for node in ast.walk(function):
            if isinstance(node, ast.Compare):
                widening |= self.roles_in(node)
            if not isinstance(node, ast.Call):
                continue
            name = _callee(node)
            roles = set().union(*(self.roles_in(arg) for arg in node.args)) if node.args else set()
            if roles:
                (widening if name == "has_any" else required).update(roles)
            elif len(self.functions.get(name, ())) == 1:
                helpers.append(self.functions[name][0])
        if not required and depth < 1:
            # The RPC checks nothing itself: the check lives in a helper it calls.
            for helper in helpers:
                more, wider = self.role_facts(helper, depth + 1)
                required |= more
                widening |= wider
        return required, widening - required


def _service_files(root: Path, folder: str) -> list[Path]:
    return sorted((root / "services" / folder).glob("tm_*/**/*.py"))


def _kit_authz() -> object | None:
    try:
        return importlib.import_module(AUTHZ_MODULE)
    except ImportError:
        return None


def authorization_table() -> dict[str, str]:
    """``/pkg.Service/Method`` → requirement, from the kit's authorization table if it exists.

    Reads ``TABLE`` rows with an ``rpcs`` set (trademaster.service.authz.Permission), or else any
    module-level mapping keyed by full method names, so the reference follows the table."""
    module = _kit_authz()
    if module is None:
        return {}
    rows = getattr(module, "TABLE", None)
    if isinstance(rows, tuple | list) and rows and all(hasattr(r, "rpcs") for r in rows):
        return {rpc: _describe(row) for row in rows for rpc in row.rpcs}
    for value in vars(module).values():
        if (
            isinstance(value, Mapping)
            and value
            and all(
                isinstance(key, str) and key.startswith("/") and key.count("/") == 2
                for key in value
            )
        ):
            return {key: _describe(requirement) for key, requirement in value.items()}
    return {}


def _role_names(roles: Iterable[object]) -> str:
    return ", ".join(sorted(str(getattr(role, "value", role)) for role in roles))


def _describe(requirement: object) -> str:
    roles = getattr(requirement, "roles", None)
    if roles is None:
        if isinstance(requirement, list | tuple | set | frozenset):
            return f"any of: {_role_names(requirement)}"
        return str(requirement)
    text = f"roles: any of {_role_names(roles)}" if roles else "no user role"
    all_owners = getattr(requirement, "all_owners", None)
    if getattr(requirement, "owned", False) and all_owners is not None:
        text += "; own resources only"
        if all_owners:
            text += f", every owner's for {_role_names(all_owners)}"
    scope = getattr(requirement, "scope", None)
    if scope:
        text += f"; service tokens need scope {scope}"
    return text


def kit_public_rpcs() -> set[str]:
    """``PUBLIC_RPCS`` of the kit's authorization table, if it has one."""
    return set(getattr(_kit_authz(), "PUBLIC_RPCS", ()) or ())


def analyse_services(root: Path, api: Api) -> Analysis:
    kit = _Package(root / "libs/trademaster/trademaster/service" / name for name in KIT_MODULES)
    common: set[tuple[str, str]] = set()
    for name in ("AuthInterceptor", "ErrorInterceptor"):
        for cls in kit.classes:
            if cls.name == name:
                common |= kit.reasons_in(cls)
    common |= {("INVALID_ARGUMENT", "INVALID_ARGUMENT"), ("INTERNAL", "INTERNAL")}
    table = authorization_table()
    facts: dict[str, RpcFacts] = {}
    public: set[str] = set()
    for service in api.services:
        short = service.full_name.rsplit(".", 1)[1]
        folder = SERVICE_PACKAGES.get(short)
        package = _Package(_service_files(root, folder)) if folder else _Package([])
        rpc_names = {rpc.name for rpc in service.rpcs}
        methods: dict[str, ast.AST] = {}
        for cls in package.classes:
            defined = {
                item.name: item
                for item in cls.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            if len(rpc_names & set(defined)) * 2 >= len(rpc_names):
                methods.update({k: v for k, v in defined.items() if k in rpc_names})
        for rpc in service.rpcs:
            found = RpcFacts()
            body = methods.get(rpc.name)
            if body is not None:
                found.implemented = True
                found.reasons = package.reasons_in(body)
                found.required_roles, found.role_rules = package.role_facts(body)
            if rpc.full_method in table:
                found.authorization = table[rpc.full_method]
            facts[rpc.full_method] = found
        for literal in _public_methods(package, service.full_name):
            public.add(literal)
    return Analysis(facts, common, public | kit_public_rpcs())


def _public_methods(package: _Package, service_full_name: str) -> set[str]:
    """RPCs in a ``PUBLIC_METHODS = frozenset({f"/{NAME}/Login"})`` of the service's code."""
    return {f"/{service_full_name}/{name}" for name in package.public_names}
