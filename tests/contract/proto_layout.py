"""Paths and expectations shared by the contract tests of the v1 gRPC surface."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTOS_DIR = REPO_ROOT / "protos"
API_PACKAGE_DIR = REPO_ROOT / "libs" / "trademaster" / "trademaster" / "api"
GEN_SCRIPT = REPO_ROOT / "scripts" / "gen_protos.sh"
BUF_BIN = PROTOS_DIR / "node_modules" / ".bin" / "buf"
V1_IMAGE = PROTOS_DIR / "v1.binpb"

DOMAINS = ("common", "identity", "strategy", "trainer", "backtest", "risk", "notifier")
SERVICES: dict[str, dict[str, str]] = {
    "identity": {"IdentityService": "identity"},
    "strategy": {"StrategyService": "strategy", "ModelRegistryService": "model_registry"},
    "trainer": {"TrainerService": "trainer", "DeploymentService": "deployment"},
    "backtest": {"BacktestService": "backtest"},
    "risk": {"RiskService": "risk"},
    "notifier": {"NotifierService": "notifier"},
}
"""Services of each package (a package may hold several), each → the stem of its .proto file
(``trademaster/api/<package>/v1/<stem>.proto``, module ``<stem>_pb2``)."""


def service_files() -> list[tuple[str, str, str]]:
    """``(package, proto file stem, service)`` for every service in SERVICES."""
    return [
        (domain, stem, service)
        for domain, services in SERVICES.items()
        for service, stem in services.items()
    ]
