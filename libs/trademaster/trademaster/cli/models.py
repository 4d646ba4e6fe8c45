"""``trademaster models ...``: the model registry (ModelRegistryService) over gRPC with
``trademaster-client``.

Same addresses and token as ``trademaster jobs`` (``--target``/``--token``, env
``TM_CLIENT_TARGET``/``TM_TOKEN``, or what ``trademaster login`` saved; the registry is at the
strategy service's address, ``TM_CLIENT_STRATEGY_ADDR``). ``--json`` prints the gateway REST
API's JSON view of the answer (:mod:`trademaster.cli.models_view`), for scripts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from trademaster_client import Client

from trademaster.api.strategy.v1 import model_registry_pb2 as pb
from trademaster.cli import models_view as view
from trademaster.cli.jobs import _client, _target_option, _token_option

INT64_MAX = 2**63 - 1
PAGE = 100
_Version = click.IntRange(min=1, max=INT64_MAX)

_json_option = click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
_at_option = click.option(
    "--at",
    "at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    default=None,
    help="Answer for this past time (ISO 8601; naive times are UTC).",
)


def _connection(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--target`` and ``--token``, as for ``trademaster jobs``."""
    return _target_option(_token_option(command))


def _emit(data: Any, as_json: bool, render: Any) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        render(Console(), data)


def _as_of(stamp: Any, at: datetime | None) -> None:
    """Set a request's ``as_of`` (naive times are UTC, as protobuf reads them)."""
    if at is not None:
        stamp.FromDatetime(at)


def _tags(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"must look like key=value, was {pair!r}", param_hint="--tag")
        out[key] = value
    return out


def _all(tm: Client, method: Any, request: Any) -> list[Any]:
    """Every item of a registry list RPC, page by page."""
    return list(tm.paginate(method, request, page_size=PAGE))


def _show_model(console: Console, model: dict[str, Any]) -> None:
    aliases = ", ".join(f"{a}→v{v}" for a, v in sorted(model["aliases"].items())) or "no aliases"
    console.print(
        f"[bold]{model['name']}[/] {model['id']} latest v{model['latest_version']} ({aliases})"
    )


def _show_version(console: Console, v: dict[str, Any]) -> None:
    console.print(
        f"[bold]v{v['version']}[/] of {v['model_id']} from job {v['training_job_id']} "
        f"(strategy {v['strategy_id']} v{v['strategy_version']}, dataset {v['dataset_id']})"
    )
    console.print(f"  model {v['model_uri']}  aliases {', '.join(v['aliases']) or '-'}")
    console.print(f"  tags {v['tags'] or '-'}  ever deployed: {v['ever_deployed']}")
    for name, value in sorted(v["metrics"].items()):
        console.print(f"  {name} = {value:.6g}")
    for b in v["backtests"]:
        sharpe = b["summary_metrics"].get("sharpe_ratio")
        console.print(f"  backtest {b['id']} {b['state']} on {b['dataset_id']} sharpe {sharpe}")
    for d in v["deployments"]:
        console.print(
            f"  deployed {d['id']} {d['mode']} on {d['account_id']} from {d['start_time']}"
            f" to {d['end_time'] or 'now'}"
        )


@click.group()
def models() -> None:
    """Registered models: versions from finished jobs, aliases, compare, history."""


@models.command(name="create")
@click.argument("name")
@click.option("--description", default="")
@_json_option
@_connection
def create(
    name: str, description: str, as_json: bool, target: str | None, token: str | None
) -> None:
    """Register a model NAME (a named series of versions)."""
    request = pb.CreateRegisteredModelRequest(name=name, description=description)
    with _client(target, token) as tm:
        reply = tm.model_registry.CreateRegisteredModel(request)
    _emit(view.model_json(reply.model), as_json, _show_model)


@models.command(name="list")
@_json_option
@_connection
def list_models(as_json: bool, target: str | None, token: str | None) -> None:
    """Your registered models, newest first."""
    with _client(target, token) as tm:
        found = _all(tm, tm.model_registry.ListRegisteredModels, pb.ListRegisteredModelsRequest())

    def render(console: Console, data: dict[str, Any]) -> None:
        for model in data["models"]:
            _show_model(console, model)

    _emit({"models": [view.model_json(m) for m in found]}, as_json, render)


@models.command(name="register")
@click.argument("model_id")
@click.argument("training_job_id")
@click.option("--description", default="")
@click.option("--tag", "tags", multiple=True, help="key=value (repeat).")
@_json_option
@_connection
def register(
    model_id: str,
    training_job_id: str,
    description: str,
    tags: tuple[str, ...],
    as_json: bool,
    target: str | None,
    token: str | None,
) -> None:
    """Add the model of a SUCCEEDED TRAINING_JOB_ID as the next version of MODEL_ID."""
    request = pb.CreateModelVersionRequest(
        model_id=model_id,
        training_job_id=training_job_id,
        description=description,
        tags=_tags(tags),
    )
    with _client(target, token) as tm:
        reply = tm.model_registry.CreateModelVersion(request)
    _emit(view.version_json(reply.model_version), as_json, _show_version)


@models.command(name="show")
@click.argument("model_id")
@click.argument("version", type=_Version, required=False)
@_json_option
@_connection
def show(
    model_id: str, version: int | None, as_json: bool, target: str | None, token: str | None
) -> None:
    """A model and its versions, or one VERSION with metrics, backtests and deployments."""
    with _client(target, token) as tm:
        if version is not None:
            request = pb.GetModelVersionRequest(model_id=model_id, version=version)
            detail = tm.model_registry.GetModelVersion(request).model_version
            _emit(view.version_json(detail), as_json, _show_version)
            return
        model = tm.model_registry.GetRegisteredModel(
            pb.GetRegisteredModelRequest(model_id=model_id)
        ).model
        versions = _all(
            tm,
            tm.model_registry.ListModelVersions,
            pb.ListModelVersionsRequest(model_id=model_id),
        )

    def render(console: Console, data: dict[str, Any]) -> None:
        _show_model(console, data["model"])
        for v in data["versions"]:
            console.print(f"  v{v['version']} job {v['training_job_id']} {v['aliases'] or ''}")

    data = {"model": view.model_json(model), "versions": [view.version_json(v) for v in versions]}
    _emit(data, as_json, render)


@models.command(name="alias")
@click.argument("model_id")
@click.argument("alias")
@click.argument("version", type=_Version, required=False)
@click.option("--remove", is_flag=True, help="Remove the alias instead.")
@_at_option
@_json_option
@_connection
def alias(
    model_id: str,
    alias: str,
    version: int | None,
    remove: bool,
    at: datetime | None,
    as_json: bool,
    target: str | None,
    token: str | None,
) -> None:
    """Point ALIAS at VERSION, remove it (--remove), or show what it names (now or --at)."""
    with _client(target, token) as tm:
        registry = tm.model_registry
        if remove:
            request = pb.DeleteModelAliasRequest(model_id=model_id, alias=alias)
            changed = registry.DeleteModelAlias(request).model
        elif version is not None:
            request = pb.SetModelAliasRequest(model_id=model_id, alias=alias, version=version)
            changed = registry.SetModelAlias(request).model
        else:
            resolve = pb.ResolveModelAliasRequest(model_id=model_id, alias=alias)
            _as_of(resolve.as_of, at)
            resolved = view.alias_json(alias, registry.ResolveModelAlias(resolve))
    if remove or version is not None:
        _emit(view.model_json(changed), as_json, _show_model)
        return
    _emit(
        resolved,
        as_json,
        lambda console, data: console.print(
            f"{data['alias']} → " + ("none" if data["version"] is None else f"v{data['version']}")
        ),
    )


@models.command(name="tag")
@click.argument("model_id")
@click.argument("version", type=_Version)
@click.argument("tags", nargs=-1)
@click.option("--remove", "remove", multiple=True, help="Tag key to remove (repeat).")
@_json_option
@_connection
def tag(
    model_id: str,
    version: int,
    tags: tuple[str, ...],
    remove: tuple[str, ...],
    as_json: bool,
    target: str | None,
    token: str | None,
) -> None:
    """Set TAGS (key=value ...) and remove --remove keys on VERSION."""
    request = pb.UpdateModelVersionTagsRequest(
        model_id=model_id, version=version, set_tags=_tags(tags), remove_tag_keys=remove
    )
    with _client(target, token) as tm:
        reply = tm.model_registry.UpdateModelVersionTags(request)
    _emit(view.version_json(reply.model_version), as_json, _show_version)


@models.command(name="compare")
@click.argument("model_id")
@click.argument("versions", nargs=-1, required=True, type=_Version)
@_json_option
@_connection
def compare(
    model_id: str, versions: tuple[int, ...], as_json: bool, target: str | None, token: str | None
) -> None:
    """VERSIONS of MODEL_ID side by side: metrics and the run settings that differ."""
    request = pb.CompareModelVersionsRequest(model_id=model_id, versions=versions)
    with _client(target, token) as tm:
        reply = tm.model_registry.CompareModelVersions(request)

    def render(console: Console, data: dict[str, Any]) -> None:
        table = Table("metric / setting", *(f"v{v['version']}" for v in data["versions"]))
        for row in data["metrics"]:
            cells = ["-" if x is None or math.isnan(x) else f"{x:.6g}" for x in row["values"]]
            table.add_row(row["name"], *cells)
        for row in data["differing_settings"]:
            table.add_row(row["path"], *(json.dumps(x) for x in row["values"]))
        console.print(table)

    _emit(view.compare_json(reply), as_json, render)


@models.command(name="delete-version")
@click.argument("model_id")
@click.argument("version", type=_Version)
@_connection
def delete_version(model_id: str, version: int, target: str | None, token: str | None) -> None:
    """Delete VERSION (refused once it has been deployed, or while an alias names it)."""
    request = pb.DeleteModelVersionRequest(model_id=model_id, version=version)
    with _client(target, token) as tm:
        tm.model_registry.DeleteModelVersion(request)
    click.echo(f"deleted v{version} of {model_id}")


@models.command(name="history")
@click.argument("model_id")
@_json_option
@_connection
def history(model_id: str, as_json: bool, target: str | None, token: str | None) -> None:
    """The model's append-only history, oldest first."""
    request = pb.ListModelHistoryRequest(model_id=model_id)
    with _client(target, token) as tm:
        events = _all(tm, tm.model_registry.ListModelHistory, request)

    def render(console: Console, data: dict[str, Any]) -> None:
        for e in data["events"]:
            what = e["alias"] or e["tag_key"] or e["account_id"]
            console.print(f"{e['time']} {e['kind']} v{e['version']} {what} by {e['actor']}")

    _emit({"events": [view.event_json(e) for e in events]}, as_json, render)


@models.command(name="deployed")
@click.argument("account_id")
@_at_option
@_json_option
@_connection
def deployed(
    account_id: str, at: datetime | None, as_json: bool, target: str | None, token: str | None
) -> None:
    """Which model versions are deployed on ACCOUNT_ID now (or were --at a past time)."""
    request = pb.ListDeployedModelVersionsRequest(account_id=account_id)
    _as_of(request.as_of, at)
    with _client(target, token) as tm:
        reply = tm.model_registry.ListDeployedModelVersions(request)

    def render(console: Console, data: dict[str, Any]) -> None:
        if not data["deployments"]:
            console.print("nothing deployed")
        for d in data["deployments"]:
            console.print(f"{d['model_id']} v{d['version']} {d['mode']} since {d['start_time']}")

    _emit({"deployments": [view.deployment_json(d) for d in reply.deployments]}, as_json, render)
