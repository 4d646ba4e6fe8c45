"""Paths and expectations shared by the contract tests of the v1 gRPC surface."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTOS_DIR = REPO_ROOT / "protos"
API_PACKAGE_DIR = REPO_ROOT / "libs" / "trademaster" / "trademaster" / "api"
GEN_SCRIPT = REPO_ROOT / "scripts" / "gen_protos.sh"
BUF_BIN = PROTOS_DIR / "node_modules" / ".bin" / "buf"
V1_IMAGE = PROTOS_DIR / "v1.binpb"

DOMAINS = ("common", "identity", "strategy", "trainer", "backtest", "risk", "notifier")
SERVICES = {
    "identity": "IdentityService",
    "strategy": "StrategyService",
    "trainer": "TrainerService",
    "backtest": "BacktestService",
    "risk": "RiskService",
    "notifier": "NotifierService",
}
MODULE_SERVICES = {
    ("strategy", "model_registry"): "ModelRegistryService",
    ("trainer", "deployment"): "DeploymentService",
}
"""Services in a domain's further proto files: (domain, module) → service, generated into
``trademaster.api.<domain>.v1.<module>_pb2`` (served at the domain's address)."""
