"""trademaster-client pieces without servers: endpoints, the retry service config, idempotency
keys, resume cursors and the token cache's refresh rule."""

from __future__ import annotations

import json

import grpc
import pytest
from trademaster.api.notifier.v1 import notifier_pb2
from trademaster.api.trainer.v1 import trainer_pb2
from trademaster_client import RPCS, Endpoints, PasswordLogin, ServiceToken, Token
from trademaster_client._calls import method_info, with_key
from trademaster_client.credentials import TokenCache
from trademaster_client.events import Cursor
from trademaster_client.rpcs import service_config

pytestmark = pytest.mark.unit

TRAINER = "trademaster.api.trainer.v1.TrainerService"


def test_endpoints_default_to_the_local_stack_and_take_overrides() -> None:
    env = {"TM_CLIENT_TARGET": "gw.example:443", "TM_CLIENT_TRAINER_ADDR": "t:1"}

    assert Endpoints.from_env({}).address("trainer") == "127.0.0.1:50055"
    assert Endpoints.from_env(env).address("strategy") == "gw.example:443"
    assert Endpoints.from_env(env).address("trainer") == "t:1"
    with pytest.raises(ValueError, match="unknown services"):
        Endpoints({"gateway": "x:1"})


def test_service_config_retries_only_idempotent_unary_rpcs() -> None:
    config = json.loads(service_config([TRAINER]))
    (method_config,) = config["methodConfig"]
    retried = {name["method"] for name in method_config["name"]}

    assert {"GetTrainingJob", "ListTrainingJobs", "CreateTrainingJob", "CancelTrainingJob"} <= (
        retried
    )
    assert "ResumeTrainingJob" not in retried
    assert method_config["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert all(RPCS[f"/{TRAINER}/{m}"].retry_safe for m in retried)


def test_keyed_requests_get_a_request_id_and_keep_a_given_one() -> None:
    info = method_info("trainer", "CreateTrainingJob")
    empty = trainer_pb2.CreateTrainingJobRequest(strategy_id="s")
    given = trainer_pb2.CreateTrainingJobRequest(strategy_id="s", request_id="mine")

    keyed = with_key(info, empty)

    assert keyed.request_id and empty.request_id == ""  # the caller's message is untouched
    assert with_key(info, given).request_id == "mine"
    unkeyed = trainer_pb2.GetTrainingJobRequest(job_id="j")
    assert with_key(method_info("trainer", "GetTrainingJob"), unkeyed) is unkeyed


def test_cursor_resumes_after_the_last_event_or_from_the_join() -> None:
    cursor = Cursor(["training_job/1"], "")
    heartbeat = notifier_pb2.Event()
    heartbeat.time.FromMilliseconds(1_700_000_000_123)
    heartbeat.heartbeat.interval_seconds = 15

    fresh = cursor.request().after_event_id
    cursor.seen(heartbeat)
    joined = cursor.request().after_event_id
    cursor.seen(notifier_pb2.Event(event_id="training_job/1@1700000000500-2"))

    assert fresh == ""
    assert joined == "training_job/1@1700000000123-0"
    assert cursor.request().after_event_id == "training_job/1@1700000000500-2"


def test_password_tokens_refresh_inside_the_margin_and_service_tokens_never() -> None:
    now = [1000.0]
    logins: list[str] = []

    def login(username: str, password: str) -> Token:
        logins.append(username)
        return Token(f"t{len(logins)}", now[0] + 3600)

    cache = TokenCache(PasswordLogin("u", "p", refresh_margin_s=60), login, lambda: now[0])
    first = cache.token()
    now[0] += 3600 - 61
    still = cache.token()
    now[0] += 2
    renewed = cache.token()
    static = TokenCache(ServiceToken("not.a.jwt"), login, lambda: now[0])

    assert (first, still, renewed) == ("t1", "t1", "t2")
    assert static.token() == "not.a.jwt" and len(logins) == 2


def test_password_repr_hides_the_password() -> None:
    assert "secret" not in repr(PasswordLogin("u", "secret"))


class _Failure(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._code.name.lower()

    def trailing_metadata(self) -> tuple[()]:
        return ()


class _Call:
    def __init__(self, events: list[notifier_pb2.Event], then: grpc.StatusCode | None) -> None:
        self._events, self._then = events, then

    def __iter__(self):  # type: ignore[no-untyped-def]
        for event in self._events:
            yield notifier_pb2.SubscribeResponse(event=event)
        if self._then is not None:
            raise _Failure(self._then)

    def cancel(self) -> None:
        pass


class _Subscribe:
    """Stands in for the notifier: one scripted call per (re)subscription."""

    def __init__(self, calls: list[_Call]) -> None:
        self.calls = calls
        self.requests: list[notifier_pb2.SubscribeRequest] = []

    def call(self, request: notifier_pb2.SubscribeRequest) -> _Call:
        self.requests.append(request)
        return self.calls.pop(0)

    def relogin(self, error: Exception) -> bool:
        return False


def _event(n: int) -> notifier_pb2.Event:
    return notifier_pb2.Event(event_id=f"t@{n}-0", topic="t")


def test_event_stream_resubscribes_after_the_last_event_and_stops_on_final_errors() -> None:
    from trademaster_client import PermissionDeniedError
    from trademaster_client.events import EventStream

    subscribe = _Subscribe(
        [
            _Call([_event(1), _event(2)], grpc.StatusCode.UNAVAILABLE),
            _Call([_event(3)], grpc.StatusCode.PERMISSION_DENIED),
        ]
    )
    stream = EventStream(subscribe, ["t"], sleep=lambda _: None)
    got = []

    with pytest.raises(PermissionDeniedError):
        for event in stream:
            got.append(event.event_id)

    assert got == ["t@1-0", "t@2-0", "t@3-0"]
    assert [r.after_event_id for r in subscribe.requests] == ["", "t@2-0"]
    assert stream.reconnects == 1


def test_event_stream_gives_up_after_max_failures_in_a_row() -> None:
    from trademaster_client import UnavailableError
    from trademaster_client.events import EventStream

    subscribe = _Subscribe([_Call([], grpc.StatusCode.UNAVAILABLE) for _ in range(3)])
    stream = EventStream(subscribe, ["t"], max_failures=2, sleep=lambda _: None)

    with pytest.raises(UnavailableError):
        list(stream)

    assert len(subscribe.requests) == 3


def test_the_model_registry_is_retried_only_where_the_protos_say_so() -> None:
    from trademaster_client._calls import channel_options

    options = dict(channel_options())
    (method_config,) = json.loads(str(options["grpc.service_config"]))["methodConfig"]
    registry = "trademaster.api.strategy.v1.ModelRegistryService"
    retried = {n["method"] for n in method_config["name"] if n["service"] == registry}

    assert {"ListModelVersions", "CreateModelVersion", "CreateRegisteredModel"} <= retried
    assert "DeleteModelVersion" not in retried  # a repeat would answer NOT_FOUND
    assert method_info("model_registry", "CreateRegisteredModel").key_field == "request_id"
