"""The one authorization table: resource × action → roles, reach and service-token scope.

Every servicer and the gateway ask :func:`authorize` instead of listing roles themselves, so a
right is granted or withdrawn in exactly one place (and the README matrix is generated from here:
``python -m trademaster.service.authz``).

Rules, in words:

* A user may perform ``(resource, action)`` when one of their roles is in the row's ``roles``.
* Ownership: an owned resource is reached only by its owner, except by the roles in the row's
  ``all_owners`` (e.g. ``risk_officer`` and ``admin`` read everything). An owner may share a
  strategy, training job, backtest or registered model read-only (``<resource>:share``): the
  users it is shared with reach it for reads only (a change answers PERMISSION_DENIED
  ``READ_ONLY_SHARE``). Whatever a caller cannot reach is *absent* for them (NOT_FOUND /
  empty page), never PERMISSION_DENIED with data.
* Service tokens are judged by their scopes only (``"<resource>:<action>"``), never by roles, and
  reach only what they own themselves. Tokens issued before scopes existed get the scopes of the
  roles they carry (:func:`scopes_for_roles`).

Adding a row: add the ``Resource``/``Action`` members if new, then one ``Permission`` in ``TABLE``
naming the RPCs it covers; regenerate the README matrix (the staleness test says how).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from trademaster.service.auth import Principal, Role
from trademaster.service.errors import PermissionDenied


class Resource(StrEnum):
    STRATEGY = "strategy"
    CATALOG = "catalog"
    DATASET = "dataset"
    TRAINING_JOB = "training_job"
    CLUSTER = "cluster"
    BACKTEST = "backtest"
    MODEL = "model"
    DEPLOYMENT = "deployment"
    PROMOTION = "promotion"
    EVENT = "event"
    ACCOUNT = "account"
    ORDER = "order"
    LIMITS = "limits"
    TRADING_STATE = "trading_state"
    KILL_SWITCH = "kill_switch"
    DECISION = "decision"
    INSTRUMENT = "instrument"
    AUDIT_CHAIN = "audit_chain"
    COMPLIANCE_REPORT = "compliance_report"
    USER = "user"
    ALERT_RULE = "alert_rule"
    ALERT = "alert"
    ACTION_AUDIT = "action_audit"
    SERVICE_TOKEN = "service_token"  # a resource name, not a secret  # nosec B105


class Action(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CONTROL = "control"
    CANCEL = "cancel"
    SUBSCRIBE = "subscribe"
    PUBLISH = "publish"
    SUBMIT = "submit"
    ENGAGE = "engage"
    ADMINISTER = "administer"
    SHARE = "share"
    APPROVE = "approve"


_V, _R, _T, _O, _A = Role.VIEWER, Role.RESEARCHER, Role.TRADER, Role.RISK_OFFICER, Role.ADMIN
EVERYONE = frozenset({_V, _R, _T, _O, _A})
BUILDERS = frozenset({_R, _T, _A})
"""Manage their own strategies, datasets, training and backtests."""
TRADING = frozenset({_T, _A})
RISK = frozenset({_O, _A})
TRADING_READERS = frozenset({_T, _O, _A})
"""Act on trading resources (traders on their own; risk officers on any account)."""
ACCOUNT_READERS = frozenset({_V, _T, _O, _A})
"""Read trading accounts and what hangs off them (viewers and traders: their own)."""
ADMINS = frozenset({_A})
SEES_ALL = frozenset({_O, _A})
"""Read every owner's resources."""
NOBODY: frozenset[Role] = frozenset()
"""For creations: what one creates is one's own."""


def _rpcs(service: str, *methods: str) -> frozenset[str]:
    return frozenset(f"/trademaster.api.{service}/{method}" for method in methods)


@dataclass(frozen=True)
class Permission:
    """One row: who may do ``action`` on ``resource``, whose resources they reach, which RPCs."""

    resource: Resource
    action: Action
    roles: frozenset[Role]
    all_owners: frozenset[Role] = ADMINS
    """Roles that reach every owner's resources; the rest reach only their own."""
    owned: bool = True
    """False for shared catalogs (datasets, agents, cluster): no owner, everyone reaches it."""
    rpcs: frozenset[str] = field(default_factory=frozenset)
    summary: str = ""

    @property
    def scope(self) -> str:
        return f"{self.resource.value}:{self.action.value}"


_STRAT = "strategy.v1.StrategyService"
_TRAIN = "trainer.v1.TrainerService"
_BT = "backtest.v1.BacktestService"
_REG = "strategy.v1.ModelRegistryService"
_DEP = "trainer.v1.DeploymentService"
_NOTE = "notifier.v1.NotifierService"
_RISK = "risk.v1.RiskService"
_ID = "identity.v1.IdentityService"

TABLE: tuple[Permission, ...] = (
    Permission(Resource.STRATEGY, Action.READ, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_STRAT, "GetStrategy", "ListStrategies"),
               summary="read strategies and their versions (own and those shared with one)"),
    Permission(Resource.STRATEGY, Action.CREATE, BUILDERS, NOBODY,
               rpcs=_rpcs(_STRAT, "CreateStrategy"), summary="create strategies"),
    Permission(Resource.STRATEGY, Action.UPDATE, BUILDERS,
               rpcs=_rpcs(_STRAT, "UpdateStrategy"), summary="edit strategies"),
    Permission(Resource.STRATEGY, Action.DELETE, BUILDERS,
               rpcs=_rpcs(_STRAT, "DeleteStrategy"), summary="delete strategies"),
    Permission(Resource.STRATEGY, Action.SHARE, BUILDERS,
               rpcs=_rpcs(_STRAT, "ShareStrategy", "UnshareStrategy", "ListStrategyShares"),
               summary="share own strategies read-only with other users, list and withdraw shares"),
    Permission(Resource.CATALOG, Action.READ, EVERYONE, owned=False,
               rpcs=_rpcs(_STRAT, "ValidateConfig", "ListAgents", "GetConfigSchema"),
               summary="agents, config schema, config validation"),
    Permission(Resource.DATASET, Action.READ, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_STRAT, "ListDatasets", "GetDataset", "GetDatasetBars",
                          "GetDatasetQuality", "ExportDataset"),
               summary="platform datasets and one's own: bars, quality reports, exports"),
    Permission(Resource.DATASET, Action.CREATE, BUILDERS, NOBODY,
               rpcs=_rpcs(_STRAT, "UploadDataset", "RepairDataset", "LabelDataset"),
               summary="import datasets; repaired and labelled versions of reachable ones"),
    Permission(Resource.DATASET, Action.DELETE, BUILDERS,
               rpcs=_rpcs(_STRAT, "DeleteDataset"), summary="delete one's own datasets"),
    Permission(Resource.TRAINING_JOB, Action.READ, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_TRAIN, "GetTrainingJob", "ListTrainingJobs", "ListJobMetrics"),
               summary="read training jobs and their metrics (own and those shared with one)"),
    Permission(Resource.TRAINING_JOB, Action.CREATE, BUILDERS, NOBODY,
               rpcs=_rpcs(_TRAIN, "CreateTrainingJob"), summary="start training jobs"),
    Permission(Resource.TRAINING_JOB, Action.CONTROL, BUILDERS,
               rpcs=_rpcs(_TRAIN, "PauseTrainingJob", "ResumeTrainingJob"),
               summary="pause and resume training jobs"),
    Permission(Resource.TRAINING_JOB, Action.CANCEL, BUILDERS,
               rpcs=_rpcs(_TRAIN, "CancelTrainingJob"), summary="cancel training jobs"),
    Permission(Resource.TRAINING_JOB, Action.SHARE, BUILDERS,
               rpcs=_rpcs(_TRAIN, "ShareTrainingJob", "UnshareTrainingJob",
                          "ListTrainingJobShares"),
               summary="share own training jobs read-only with other users, list and withdraw "
                       "shares"),
    Permission(Resource.CLUSTER, Action.READ, EVERYONE, owned=False,
               rpcs=_rpcs(_TRAIN, "GetClusterStatus"), summary="cluster capacity"),
    Permission(Resource.BACKTEST, Action.READ, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_BT, "GetBacktest", "ListBacktests", "GetBacktestResult",
                          "GetBacktestArtifact"),
               summary="read backtests and results (own and those shared with one)"),
    Permission(Resource.BACKTEST, Action.CREATE, BUILDERS, NOBODY,
               rpcs=_rpcs(_BT, "CreateBacktest"), summary="start backtests"),
    Permission(Resource.BACKTEST, Action.CANCEL, BUILDERS,
               rpcs=_rpcs(_BT, "CancelBacktest"), summary="cancel backtests"),
    Permission(Resource.BACKTEST, Action.SHARE, BUILDERS,
               rpcs=_rpcs(_BT, "ShareBacktest", "UnshareBacktest", "ListBacktestShares"),
               summary="share own backtests read-only with other users, list and withdraw shares"),
    Permission(Resource.MODEL, Action.READ, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_REG, "GetRegisteredModel", "ListRegisteredModels", "GetModelVersion",
                          "ListModelVersions", "ResolveModelAlias", "CompareModelVersions",
                          "ListModelHistory"),
               summary="read registered models, versions, aliases and their history (own and "
                       "those shared with one)"),
    Permission(Resource.MODEL, Action.CREATE, BUILDERS, NOBODY,
               rpcs=_rpcs(_REG, "CreateRegisteredModel", "CreateModelVersion"),
               summary="register models and versions from own finished training jobs"),
    Permission(Resource.MODEL, Action.UPDATE, BUILDERS,
               rpcs=_rpcs(_REG, "UpdateModelVersionTags", "SetModelAlias", "DeleteModelAlias"),
               summary="tag versions, set and remove aliases (champion, challenger)"),
    Permission(Resource.MODEL, Action.DELETE, BUILDERS,
               rpcs=_rpcs(_REG, "DeleteModelVersion"),
               summary="delete never-deployed model versions"),
    Permission(Resource.MODEL, Action.SHARE, BUILDERS,
               rpcs=_rpcs(_REG, "ShareModel", "UnshareModel", "ListModelShares"),
               summary="share own registered models read-only with other users, list and "
                       "withdraw shares"),
    Permission(Resource.DEPLOYMENT, Action.READ, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_REG, "ListDeployedModelVersions")
               | _rpcs(_DEP, "GetDeployment", "ListDeployments", "GetDeploymentEquity"),
               summary="deployments, and which model versions are (were) deployed on an account"),
    Permission(Resource.DEPLOYMENT, Action.CREATE, TRADING, NOBODY,
               rpcs=_rpcs(_REG, "RecordModelDeployment")
               | _rpcs(_DEP, "CreateDeployment", "RollbackDeployment"),
               summary="deploy own model versions on own accounts (a passed promotion gate); "
                       "roll an own live account back to its previous version (it deploys)"),
    Permission(Resource.DEPLOYMENT, Action.CONTROL, TRADING_READERS, SEES_ALL,
               rpcs=_rpcs(_REG, "EndModelDeployment")
               | _rpcs(_DEP, "PauseDeployment", "ResumeDeployment", "StopDeployment"),
               summary="pause, resume, stop deployments (traders: own; risk officers: any)"),
    Permission(Resource.PROMOTION, Action.READ, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_DEP, "EvaluatePromotion", "ListPromotions", "GetPromotionPolicy"),
               summary="evaluate promotion gates, read stored promotions and gate policies"),
    Permission(Resource.PROMOTION, Action.CREATE, TRADING, NOBODY,
               rpcs=_rpcs(_DEP, "RequestPromotion"),
               summary="request promotions of own model versions (paper, live)"),
    Permission(Resource.PROMOTION, Action.APPROVE, RISK, SEES_ALL,
               rpcs=_rpcs(_DEP, "ApprovePromotion"),
               summary="approve or reject live promotions (not one's own request)"),
    Permission(Resource.PROMOTION, Action.UPDATE, RISK, SEES_ALL,
               rpcs=_rpcs(_DEP, "SetPromotionPolicy"),
               summary="set an owner's promotion gate thresholds"),
    Permission(Resource.EVENT, Action.SUBSCRIBE, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_NOTE, "Subscribe"), summary="live events of reachable resources"),
    Permission(Resource.EVENT, Action.PUBLISH, ADMINS,
               rpcs=_rpcs(_NOTE, "Publish"), summary="append events (producers' service tokens)"),
    Permission(Resource.ALERT_RULE, Action.READ, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_NOTE, "ListAlertRules"),
               summary="alert rules (risk officers, admins: every owner's and platform-wide)"),
    Permission(Resource.ALERT_RULE, Action.CREATE, EVERYONE, NOBODY,
               rpcs=_rpcs(_NOTE, "CreateAlertRule"),
               summary="create alert rules (platform-wide: risk officers, admins)"),
    Permission(Resource.ALERT_RULE, Action.DELETE, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_NOTE, "DeleteAlertRule"), summary="delete alert rules"),
    Permission(Resource.ALERT, Action.READ, EVERYONE, NOBODY,
               rpcs=_rpcs(_NOTE, "ListAlerts", "ListAlertDeliveries"),
               summary="one's own alerts (the bell) and their delivery log"),
    Permission(Resource.ALERT, Action.UPDATE, EVERYONE, NOBODY,
               rpcs=_rpcs(_NOTE, "MarkAlertsRead", "ReplayAlertDelivery"),
               summary="mark one's alerts read, replay dead-lettered deliveries"),
    Permission(Resource.ACCOUNT, Action.READ, ACCOUNT_READERS, SEES_ALL,
               rpcs=_rpcs(_RISK, "GetAccount", "ListAccounts"), summary="read trading accounts"),
    Permission(Resource.ACCOUNT, Action.CREATE, TRADING, NOBODY,
               rpcs=_rpcs(_RISK, "CreateAccount"), summary="open trading accounts"),
    Permission(Resource.ORDER, Action.READ, ACCOUNT_READERS, SEES_ALL,
               rpcs=_rpcs(_RISK, "GetOrder", "ListOrders", "ListFills", "ListPositions"),
               summary="orders, fills and positions"),
    Permission(Resource.ORDER, Action.SUBMIT, TRADING,
               rpcs=_rpcs(_RISK, "CheckOrder", "SubmitOrder", "ReportHeartbeat"),
               summary="check and submit orders on own accounts; deployments' heartbeats"),
    Permission(Resource.ORDER, Action.CANCEL, TRADING_READERS, SEES_ALL,
               rpcs=_rpcs(_RISK, "CancelOrder"), summary="cancel orders"),
    Permission(Resource.ORDER, Action.UPDATE, TRADING,
               rpcs=_rpcs(_RISK, "ModifyOrder"),
               summary="modify working orders on own accounts (checked and audited like a submit)"),
    Permission(Resource.LIMITS, Action.READ, ACCOUNT_READERS, SEES_ALL,
               rpcs=_rpcs(_RISK, "GetLimits"), summary="read risk limits"),
    Permission(Resource.LIMITS, Action.UPDATE, RISK, SEES_ALL,
               rpcs=_rpcs(_RISK, "SetLimits"), summary="set risk limits"),
    Permission(Resource.TRADING_STATE, Action.READ, ACCOUNT_READERS, SEES_ALL,
               rpcs=_rpcs(_RISK, "GetTradingState", "ListTradingStateChanges"),
               summary="read trading states and their history"),
    Permission(Resource.TRADING_STATE, Action.UPDATE, RISK, SEES_ALL,
               rpcs=_rpcs(_RISK, "SetTradingState"), summary="halt, reduce-only, resume"),
    Permission(Resource.KILL_SWITCH, Action.ENGAGE, TRADING_READERS, SEES_ALL,
               rpcs=_rpcs(_RISK, "KillSwitch"),
               summary="engage the kill switch (traders: own accounts; global: risk officers)"),
    Permission(Resource.DECISION, Action.READ, ACCOUNT_READERS, SEES_ALL,
               rpcs=_rpcs(_RISK, "ListDecisions", "GetDecision"),
               summary="the risk engine's decisions"),
    Permission(Resource.COMPLIANCE_REPORT, Action.READ, ACCOUNT_READERS, SEES_ALL,
               rpcs=_rpcs(_RISK, "GetComplianceReport"),
               summary="compliance report of an account (owner; risk officers, admins: any)"),
    Permission(Resource.AUDIT_CHAIN, Action.READ, RISK, owned=False,
               rpcs=_rpcs(_RISK, "VerifyAuditChain"), summary="verify the decision hash chain"),
    Permission(Resource.ACTION_AUDIT, Action.READ, RISK, owned=False,
               summary="search and verify the audit of every mutating call, denial and "
                       "authentication failure"),
    Permission(Resource.INSTRUMENT, Action.READ, EVERYONE, owned=False,
               rpcs=_rpcs(_RISK, "ListInstruments"), summary="tradable instruments"),
    Permission(Resource.INSTRUMENT, Action.UPDATE, RISK, owned=False,
               rpcs=_rpcs(_RISK, "PutInstrument"), summary="define instruments and their rules"),
    Permission(Resource.USER, Action.READ, EVERYONE, SEES_ALL,
               rpcs=_rpcs(_ID, "GetUser"), summary="read a user (others: risk officers, admins)"),
    Permission(Resource.USER, Action.ADMINISTER, ADMINS, owned=False,
               rpcs=_rpcs(_ID, "CreateUser", "ListUsers", "UpdateUserRoles"),
               summary="create, list, disable users, assign roles"),
    Permission(Resource.SERVICE_TOKEN, Action.READ, ADMINS, owned=False,
               rpcs=_rpcs(_ID, "ListServiceTokens"), summary="list service tokens"),
    Permission(Resource.SERVICE_TOKEN, Action.CREATE, ADMINS, owned=False,
               rpcs=_rpcs(_ID, "CreateServiceToken"), summary="create service tokens"),
    Permission(Resource.SERVICE_TOKEN, Action.DELETE, ADMINS, owned=False,
               rpcs=_rpcs(_ID, "RevokeServiceToken"), summary="revoke service tokens"),
)  # fmt: skip

PUBLIC_RPCS = _rpcs(_ID, "Login")
"""RPCs callable without a token (besides health and reflection)."""

_R_, _A_ = Resource, Action
ROUTES: dict[str, tuple[Resource, Action]] = {
    "GET /api/v1/strategies": (_R_.STRATEGY, _A_.READ),
    "POST /api/v1/strategies": (_R_.STRATEGY, _A_.CREATE),
    "POST /api/v1/strategies:validate": (_R_.CATALOG, _A_.READ),
    "GET /api/v1/strategies/{strategy_id}": (_R_.STRATEGY, _A_.READ),
    "PATCH /api/v1/strategies/{strategy_id}": (_R_.STRATEGY, _A_.UPDATE),
    "DELETE /api/v1/strategies/{strategy_id}": (_R_.STRATEGY, _A_.DELETE),
    "GET /api/v1/strategies/{strategy_id}/shares": (_R_.STRATEGY, _A_.SHARE),
    "POST /api/v1/strategies/{strategy_id}/shares": (_R_.STRATEGY, _A_.SHARE),
    "DELETE /api/v1/strategies/{strategy_id}/shares/{user_id}": (_R_.STRATEGY, _A_.SHARE),
    "GET /api/v1/config-schema": (_R_.CATALOG, _A_.READ),
    "GET /api/v1/agents": (_R_.CATALOG, _A_.READ),
    "GET /api/v1/datasets": (_R_.DATASET, _A_.READ),
    "GET /api/v1/datasets/{dataset_id}": (_R_.DATASET, _A_.READ),
    "GET /api/v1/datasets/{dataset_id}/ohlcv": (_R_.DATASET, _A_.READ),
    "GET /api/v1/datasets/{dataset_id}/quality": (_R_.DATASET, _A_.READ),
    "GET /api/v1/datasets/{dataset_id}:export": (_R_.DATASET, _A_.READ),
    "POST /api/v1/datasets": (_R_.DATASET, _A_.CREATE),
    "POST /api/v1/datasets/{dataset_id}:repair": (_R_.DATASET, _A_.CREATE),
    "POST /api/v1/datasets/{dataset_id}:label": (_R_.DATASET, _A_.CREATE),
    "DELETE /api/v1/datasets/{dataset_id}": (_R_.DATASET, _A_.DELETE),
    "POST /api/v1/training-jobs": (_R_.TRAINING_JOB, _A_.CREATE),
    "GET /api/v1/training-jobs": (_R_.TRAINING_JOB, _A_.READ),
    "GET /api/v1/training-jobs/{job_id}": (_R_.TRAINING_JOB, _A_.READ),
    "POST /api/v1/training-jobs/{job_id}:pause": (_R_.TRAINING_JOB, _A_.CONTROL),
    "POST /api/v1/training-jobs/{job_id}:resume": (_R_.TRAINING_JOB, _A_.CONTROL),
    "POST /api/v1/training-jobs/{job_id}:cancel": (_R_.TRAINING_JOB, _A_.CANCEL),
    "GET /api/v1/training-jobs/{job_id}/metrics": (_R_.TRAINING_JOB, _A_.READ),
    "GET /api/v1/training-jobs/{job_id}/shares": (_R_.TRAINING_JOB, _A_.SHARE),
    "POST /api/v1/training-jobs/{job_id}/shares": (_R_.TRAINING_JOB, _A_.SHARE),
    "DELETE /api/v1/training-jobs/{job_id}/shares/{user_id}": (_R_.TRAINING_JOB, _A_.SHARE),
    "GET /api/v1/cluster": (_R_.CLUSTER, _A_.READ),
    "POST /api/v1/backtests": (_R_.BACKTEST, _A_.CREATE),
    "GET /api/v1/backtests": (_R_.BACKTEST, _A_.READ),
    "GET /api/v1/backtests/{backtest_id}": (_R_.BACKTEST, _A_.READ),
    "POST /api/v1/backtests/{backtest_id}:cancel": (_R_.BACKTEST, _A_.CANCEL),
    "GET /api/v1/backtests/{backtest_id}/result": (_R_.BACKTEST, _A_.READ),
    "GET /api/v1/backtests/{backtest_id}/artifacts/{name}": (_R_.BACKTEST, _A_.READ),
    "GET /api/v1/backtests/{backtest_id}/shares": (_R_.BACKTEST, _A_.SHARE),
    "POST /api/v1/backtests/{backtest_id}/shares": (_R_.BACKTEST, _A_.SHARE),
    "DELETE /api/v1/backtests/{backtest_id}/shares/{user_id}": (_R_.BACKTEST, _A_.SHARE),
    "GET /api/v1/models": (_R_.MODEL, _A_.READ),
    "POST /api/v1/models": (_R_.MODEL, _A_.CREATE),
    "GET /api/v1/models/{model_id}": (_R_.MODEL, _A_.READ),
    "GET /api/v1/models/{model_id}/versions": (_R_.MODEL, _A_.READ),
    "POST /api/v1/models/{model_id}/versions": (_R_.MODEL, _A_.CREATE),
    "GET /api/v1/model-versions": (_R_.MODEL, _A_.READ),
    "GET /api/v1/models/{model_id}/versions:compare": (_R_.MODEL, _A_.READ),
    "GET /api/v1/models/{model_id}/versions/{version}": (_R_.MODEL, _A_.READ),
    "DELETE /api/v1/models/{model_id}/versions/{version}": (_R_.MODEL, _A_.DELETE),
    "PATCH /api/v1/models/{model_id}/versions/{version}/tags": (_R_.MODEL, _A_.UPDATE),
    "GET /api/v1/models/{model_id}/aliases/{alias}": (_R_.MODEL, _A_.READ),
    "PUT /api/v1/models/{model_id}/aliases/{alias}": (_R_.MODEL, _A_.UPDATE),
    "DELETE /api/v1/models/{model_id}/aliases/{alias}": (_R_.MODEL, _A_.UPDATE),
    "GET /api/v1/models/{model_id}/history": (_R_.MODEL, _A_.READ),
    "GET /api/v1/models/{model_id}/shares": (_R_.MODEL, _A_.SHARE),
    "POST /api/v1/models/{model_id}/shares": (_R_.MODEL, _A_.SHARE),
    "DELETE /api/v1/models/{model_id}/shares/{user_id}": (_R_.MODEL, _A_.SHARE),
    "POST /api/v1/model-deployments": (_R_.DEPLOYMENT, _A_.CREATE),
    "GET /api/v1/model-deployments": (_R_.DEPLOYMENT, _A_.READ),
    "POST /api/v1/model-deployments/{deployment_id}:end": (_R_.DEPLOYMENT, _A_.CONTROL),
    "GET /api/v1/alert-rules": (_R_.ALERT_RULE, _A_.READ),
    "POST /api/v1/alert-rules": (_R_.ALERT_RULE, _A_.CREATE),
    "DELETE /api/v1/alert-rules/{rule_id}": (_R_.ALERT_RULE, _A_.DELETE),
    "GET /api/v1/alerts": (_R_.ALERT, _A_.READ),
    "POST /api/v1/alerts:mark-read": (_R_.ALERT, _A_.UPDATE),
    "GET /api/v1/alert-deliveries": (_R_.ALERT, _A_.READ),
    "POST /api/v1/alert-deliveries/{delivery_id}:replay": (_R_.ALERT, _A_.UPDATE),
    "POST /api/v1/deployments": (_R_.DEPLOYMENT, _A_.CREATE),
    "GET /api/v1/deployments": (_R_.DEPLOYMENT, _A_.READ),
    "GET /api/v1/deployments/{deployment_id}": (_R_.DEPLOYMENT, _A_.READ),
    "GET /api/v1/deployments/{deployment_id}/equity": (_R_.DEPLOYMENT, _A_.READ),
    "POST /api/v1/deployments/{deployment_id}:pause": (_R_.DEPLOYMENT, _A_.CONTROL),
    "POST /api/v1/deployments/{deployment_id}:resume": (_R_.DEPLOYMENT, _A_.CONTROL),
    "POST /api/v1/deployments/{deployment_id}:stop": (_R_.DEPLOYMENT, _A_.CONTROL),
    "POST /api/v1/accounts/{account_id}/deployments:rollback": (_R_.DEPLOYMENT, _A_.CREATE),
    "POST /api/v1/promotions:evaluate": (_R_.PROMOTION, _A_.READ),
    "POST /api/v1/promotions": (_R_.PROMOTION, _A_.CREATE),
    "GET /api/v1/promotions": (_R_.PROMOTION, _A_.READ),
    "POST /api/v1/promotions/{promotion_id}:approve": (_R_.PROMOTION, _A_.APPROVE),
    "GET /api/v1/promotion-policies/{owner_id}": (_R_.PROMOTION, _A_.READ),
    "PUT /api/v1/promotion-policies/{owner_id}": (_R_.PROMOTION, _A_.UPDATE),
    "POST /api/v1/accounts": (_R_.ACCOUNT, _A_.CREATE),
    "GET /api/v1/accounts": (_R_.ACCOUNT, _A_.READ),
    "GET /api/v1/accounts/{account_id}": (_R_.ACCOUNT, _A_.READ),
    "GET /api/v1/accounts/{account_id}/limits": (_R_.LIMITS, _A_.READ),
    "PUT /api/v1/accounts/{account_id}/limits": (_R_.LIMITS, _A_.UPDATE),
    "POST /api/v1/accounts/{account_id}/orders": (_R_.ORDER, _A_.SUBMIT),
    "POST /api/v1/accounts/{account_id}/orders:check": (_R_.ORDER, _A_.SUBMIT),
    "GET /api/v1/accounts/{account_id}/orders": (_R_.ORDER, _A_.READ),
    "GET /api/v1/accounts/{account_id}/orders/{client_order_id}": (_R_.ORDER, _A_.READ),
    "POST /api/v1/accounts/{account_id}/orders/{client_order_id}:cancel": (
        _R_.ORDER,
        _A_.CANCEL,
    ),
    "POST /api/v1/accounts/{account_id}/orders/{client_order_id}:modify": (
        _R_.ORDER,
        _A_.UPDATE,
    ),
    "GET /api/v1/accounts/{account_id}/fills": (_R_.ORDER, _A_.READ),
    "GET /api/v1/accounts/{account_id}/positions": (_R_.ORDER, _A_.READ),
    "GET /api/v1/accounts/{account_id}/compliance-report": (_R_.COMPLIANCE_REPORT, _A_.READ),
    "GET /api/v1/accounts/{account_id}/trading-state": (_R_.TRADING_STATE, _A_.READ),
    "PUT /api/v1/accounts/{account_id}/trading-state": (_R_.TRADING_STATE, _A_.UPDATE),
    "GET /api/v1/accounts/{account_id}/trading-state/changes": (_R_.TRADING_STATE, _A_.READ),
    "GET /api/v1/trading-state": (_R_.TRADING_STATE, _A_.READ),
    "PUT /api/v1/trading-state": (_R_.TRADING_STATE, _A_.UPDATE),
    "GET /api/v1/trading-state/changes": (_R_.TRADING_STATE, _A_.READ),
    "POST /api/v1/kill-switch": (_R_.KILL_SWITCH, _A_.ENGAGE),
    "GET /api/v1/decisions": (_R_.DECISION, _A_.READ),
    "GET /api/v1/decisions/{decision_id}": (_R_.DECISION, _A_.READ),
    "GET /api/v1/audit/verify": (_R_.AUDIT_CHAIN, _A_.READ),
    "GET /api/v1/audit/actions": (_R_.ACTION_AUDIT, _A_.READ),
    "GET /api/v1/audit/actions:verify": (_R_.ACTION_AUDIT, _A_.READ),
    "GET /api/v1/instruments": (_R_.INSTRUMENT, _A_.READ),
    "PUT /api/v1/instruments/{instrument_id}": (_R_.INSTRUMENT, _A_.UPDATE),
    "GET /api/v1/admin/users": (_R_.USER, _A_.ADMINISTER),
    "POST /api/v1/admin/users": (_R_.USER, _A_.ADMINISTER),
    "PATCH /api/v1/admin/users/{user_id}": (_R_.USER, _A_.ADMINISTER),
    "POST /api/v1/admin/users/{user_id}:reset-password": (_R_.USER, _A_.ADMINISTER),
    "GET /api/v1/admin/service-tokens": (_R_.SERVICE_TOKEN, _A_.READ),
    "POST /api/v1/admin/service-tokens": (_R_.SERVICE_TOKEN, _A_.CREATE),
    "POST /api/v1/admin/service-tokens/{token_id}:revoke": (_R_.SERVICE_TOKEN, _A_.DELETE),
    "GET /api/v1/admin/audit": (_R_.USER, _A_.ADMINISTER),
}
"""Every REST route of the gateway (``METHOD /path-template`` as in the OpenAPI document) →
its row; the gateway checks it before anything else runs (so a 403 never depends on the body).
"""
PUBLIC_ROUTES = frozenset(
    {
        "POST /api/v1/auth/login",
        "GET /healthz",
        "GET /readyz",
        "GET /api/v1/events",
        "GET /docs/api",
    }
)
"""Routes callable without a token. ``GET /api/v1/events`` only documents the WebSocket (it
answers 426); the WebSocket itself takes a token and checks ``event:subscribe`` downstream.
``GET /docs/api`` is the generated gRPC reference (public, like ``/docs``)."""
ANY_TOKEN_ROUTES = frozenset({"GET /api/v1/auth/me"})
"""Routes any valid token may call (they answer about the caller only)."""

_BY_KEY: dict[tuple[Resource, Action], Permission] = {(p.resource, p.action): p for p in TABLE}
if len(_BY_KEY) != len(TABLE):  # pragma: no cover - guards edits of TABLE
    raise RuntimeError("authz.TABLE has two rows for one (resource, action)")
SCOPES = frozenset(p.scope for p in TABLE)
"""Every scope a service token may carry."""


def permission(resource: Resource, action: Action) -> Permission:
    """The row for ``(resource, action)``; KeyError names a missing row (a programming error)."""
    try:
        return _BY_KEY[(resource, action)]
    except KeyError:
        raise KeyError(f"no authz row for {resource.value}:{action.value}") from None


def permission_for_rpc(method: str) -> Permission | None:
    """The row covering ``/pkg.Service/Method``, or None (public or unknown)."""
    for row in TABLE:
        if method in row.rpcs:
            return row
    return None


def permission_for_route(route: str) -> Permission | None:
    """The row for ``"METHOD /path-template"``, or None (public, any-token or unknown)."""
    key = ROUTES.get(route)
    return None if key is None else permission(*key)


def scopes_for_roles(roles: Iterable[Role]) -> frozenset[str]:
    """The scopes a set of roles implies; for service tokens issued before scopes existed."""
    wanted = frozenset(roles)
    return frozenset(p.scope for p in TABLE if not p.roles.isdisjoint(wanted))


@dataclass(frozen=True)
class Grant:
    """An allowed ``(resource, action)`` for one caller, and which owners' resources it reaches."""

    principal: Principal
    permission: Permission
    all_owners: bool

    @property
    def subject(self) -> str:
        return self.principal.subject

    @property
    def owner_scope(self) -> str | None:
        """None: every owner's resources; otherwise only this subject's (for store queries)."""
        return None if self.all_owners else self.principal.subject

    def reaches(self, owner_id: str) -> bool:
        """True when the caller may see a resource owned by ``owner_id`` ('' = everyone's)."""
        return self.all_owners or owner_id in ("", self.principal.subject)


def allowed(principal: Principal, resource: Resource, action: Action) -> bool:
    row = permission(resource, action)
    if principal.kind == "service":
        return row.scope in effective_scopes(principal)
    return not row.roles.isdisjoint(principal.roles)


def effective_scopes(principal: Principal) -> frozenset[str]:
    """A service token's scopes; tokens without a scopes claim get those of their roles."""
    if principal.scopes is not None:
        return principal.scopes
    return scopes_for_roles(principal.roles)


def authorize(principal: Principal, resource: Resource, action: Action) -> Grant:
    """A :class:`Grant` if ``principal`` may do ``action`` on ``resource``, else PERMISSION_DENIED.

    Callers still look resources up through ``grant.owner_scope`` so what is out of reach is
    NOT_FOUND, not forbidden.
    """
    row = permission(resource, action)
    if not allowed(principal, resource, action):
        wanted = sorted(r.value for r in row.roles)
        if principal.kind == "service":
            detail = f"service token {principal.subject!r} lacks scope {row.scope!r}"
        else:
            have = ", ".join(sorted(r.value for r in principal.roles)) or "none"
            detail = (
                f"{row.scope} requires one of roles [{', '.join(wanted)}]; caller "
                f"{principal.subject!r} has [{have}]"
            )
        # ErrorInfo metadata: the scope a service token needs and the roles a user needs.
        raise PermissionDenied(
            detail,
            reason="MISSING_SCOPE" if principal.kind == "service" else "MISSING_ROLE",
            metadata={"permission": row.scope, "required_roles": ",".join(wanted)},
        )
    reach_all = not row.owned or (
        principal.kind == "user" and not row.all_owners.isdisjoint(principal.roles)
    )
    return Grant(principal, row, reach_all)


def markdown_matrix() -> str:
    """The README's role matrix: one line per row, ✓ = own resources, ✓✓ = everyone's."""
    roles = list(Role)
    head = "| resource:action | " + " | ".join(r.value for r in roles) + " | what |"
    rule = "|---|" + "---|" * len(roles) + "---|"
    lines = [head, rule]
    for row in TABLE:
        cells = []
        for role in roles:
            if role not in row.roles:
                cells.append("")
            elif not row.owned or role in row.all_owners:
                cells.append("all")
            else:
                cells.append("own")
        lines.append(f"| `{row.scope}` | " + " | ".join(cells) + f" | {row.summary} |")
    return "\n".join(lines) + "\n"


MATRIX_BEGIN = "<!-- authz-matrix:begin (generated: python -m trademaster.service.authz) -->"
MATRIX_END = "<!-- authz-matrix:end -->"


def main() -> None:
    """Print the matrix (with its markers) for pasting into README.md."""
    print(MATRIX_BEGIN)
    print(markdown_matrix(), end="")
    print(MATRIX_END)


if __name__ == "__main__":
    main()
