"""Every generated module imports, and every service has a working stub and servicer."""

import importlib
from collections.abc import Iterator
from concurrent import futures
from types import ModuleType

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from proto_layout import API_PACKAGE_DIR, DOMAINS, SERVICES, service_files

pytestmark = pytest.mark.contract


def _module(domain: str, suffix: str, stem: str | None = None) -> ModuleType:
    """``trademaster.api.<domain>.v1.<stem>_<suffix>``; the stem defaults to the package's."""
    return importlib.import_module(f"trademaster.api.{domain}.v1.{stem or domain}_{suffix}")


def test_every_generated_module_imports() -> None:
    source_root = API_PACKAGE_DIR.parent.parent
    names = sorted(
        ".".join(module.relative_to(source_root).parts)
        for path in API_PACKAGE_DIR.rglob("*.py")
        for module in [path.parent if path.name == "__init__.py" else path.with_suffix("")]
    )
    assert "trademaster.api.notifier.v1" in names
    for domain in DOMAINS:
        assert f"trademaster.api.{domain}.v1.{domain}_pb2" in names
        assert f"trademaster.api.{domain}.v1.{domain}_pb2_grpc" in names
    for name in names:
        importlib.import_module(name)


@pytest.mark.parametrize("domain", DOMAINS)
def test_proto_package_matches_python_package(domain: str) -> None:
    descriptor = _module(domain, "pb2").DESCRIPTOR
    assert descriptor.package == f"trademaster.api.{domain}.v1"
    assert descriptor.name == f"trademaster/api/{domain}/v1/{domain}.proto"


def _package_services(domain: str) -> dict[str, str]:
    """Service → proto file stem, for every ``*_pb2`` module of the package."""
    package = API_PACKAGE_DIR / domain / "v1"
    found = {}
    for path in sorted(package.glob("*_pb2.py")):
        stem = path.name.removesuffix("_pb2.py")
        for service in _module(domain, "pb2", stem).DESCRIPTOR.services_by_name:
            found[service] = stem
    return found


def test_only_expected_services_are_defined() -> None:
    defined = {domain: _package_services(domain) for domain in DOMAINS}
    expected = {domain: SERVICES.get(domain, {}) for domain in DOMAINS}

    assert defined == expected
    assert "ModelRegistryService" in defined["strategy"]  # a package may hold several


@pytest.fixture(scope="module")
def channel() -> Iterator[grpc.Channel]:
    """One in-process server with the generated (UNIMPLEMENTED) base servicer of every service."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    for domain, stem, service in service_files():
        grpc_module = _module(domain, "pb2_grpc", stem)
        servicer = getattr(grpc_module, f"{service}Servicer")()
        getattr(grpc_module, f"add_{service}Servicer_to_server")(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        yield chan
    server.stop(grace=None)


def _rpcs() -> list[tuple[str, str, str, str]]:
    return [
        (domain, stem, service, method)
        for domain, stem, service in service_files()
        for method in _module(domain, "pb2", stem)
        .DESCRIPTOR.services_by_name[service]
        .methods_by_name
    ]


def _method(domain: str, stem: str, service: str, method: str) -> MethodDescriptor:
    return _module(domain, "pb2", stem).DESCRIPTOR.services_by_name[service].methods_by_name[method]


@pytest.mark.parametrize(("domain", "stem", "service", "method"), _rpcs())
def test_every_rpc_is_reachable_through_its_stub(
    channel: grpc.Channel, domain: str, stem: str, service: str, method: str
) -> None:
    descriptor = _method(domain, stem, service, method)
    request = message_factory.GetMessageClass(descriptor.input_type)()
    stub = getattr(_module(domain, "pb2_grpc", stem), f"{service}Stub")(channel)

    with pytest.raises(grpc.RpcError) as raised:
        # Client-streaming RPCs (dataset upload) take an iterator of requests.
        sent = iter([request]) if descriptor.client_streaming else request
        response = getattr(stub, method)(sent, timeout=5)
        if descriptor.server_streaming:
            next(iter(response))

    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_streaming_rpcs_are_event_subscription_and_downloads() -> None:
    streaming = [
        f"{service}.{method}"
        for domain, stem, service, method in _rpcs()
        if _method(domain, stem, service, method).server_streaming
    ]
    # Artifacts and dataset exports stream in chunks so no client (the gateway included) needs
    # a service's disk.
    assert sorted(streaming) == [
        "BacktestService.GetBacktestArtifact",
        "NotifierService.Subscribe",
        "StrategyService.ExportDataset",
    ]
