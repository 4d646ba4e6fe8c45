"""Load the TradeMaster protos as a descriptor set with comments, and model what the reference
needs: services, RPCs (with their idempotency rule), messages, fields and enums."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import descriptor_pb2

_IDEMPOTENT = re.compile(r"^Idempotent:\s*(read-only|by (\w+)|yes|no)\b[;,.]?\s*(.*)$", re.M)
_TYPE_NAMES = {
    value: name.removeprefix("TYPE_").lower()
    for name, value in descriptor_pb2.FieldDescriptorProto.Type.items()
}


@dataclass(frozen=True)
class Idempotency:
    """How safe a repeat of an RPC is; ``kind`` is read-only, key, yes, no or undocumented."""

    kind: str
    key_field: str = ""
    note: str = ""

    @property
    def retry_safe(self) -> bool:
        return self.kind in ("read-only", "key", "yes")


@dataclass(frozen=True)
class Rpc:
    service: str
    name: str
    input_type: str
    output_type: str
    server_streaming: bool
    client_streaming: bool
    comment: str
    idempotency: Idempotency
    paginated: bool

    @property
    def full_method(self) -> str:
        return f"/{self.service}/{self.name}"


@dataclass(frozen=True)
class Field:
    name: str
    number: int
    type_name: str
    label: str
    comment: str
    oneof: str = ""


@dataclass(frozen=True)
class Message:
    full_name: str
    comment: str
    fields: list[Field]


@dataclass(frozen=True)
class Enum:
    full_name: str
    comment: str
    values: list[tuple[str, int, str]]


@dataclass(frozen=True)
class Service:
    full_name: str
    package: str
    file: str
    comment: str
    rpcs: list[Rpc]


@dataclass
class Api:
    """Everything under ``trademaster/`` in one descriptor set."""

    packages: dict[str, str] = field(default_factory=dict)
    """package → file comment."""
    services: list[Service] = field(default_factory=list)
    messages: dict[str, Message] = field(default_factory=dict)
    enums: dict[str, Enum] = field(default_factory=dict)

    def rpcs(self) -> list[Rpc]:
        return [rpc for service in self.services for rpc in service.rpcs]


def build_descriptor_set(protos_dir: Path) -> descriptor_pb2.FileDescriptorSet:
    """Compile ``protos_dir`` with protoc (grpc_tools), keeping comments (source info)."""
    import grpc_tools
    from grpc_tools import protoc

    wkt = Path(grpc_tools.__file__).parent / "_proto"
    files = sorted(str(p.relative_to(protos_dir)) for p in protos_dir.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "api.binpb"
        args = [
            "protoc",
            f"-I{protos_dir}",
            f"-I{wkt}",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            *files,
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed on {protos_dir}")
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def _comments(proto: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    return {
        tuple(loc.path): "\n".join(
            line.strip() for line in loc.leading_comments.splitlines()
        ).strip()
        for loc in proto.source_code_info.location
        if loc.leading_comments
    }


def parse_idempotency(comment: str) -> Idempotency:
    match = _IDEMPOTENT.search(comment)
    if match is None:
        return Idempotency("undocumented")
    word, key, note = match.group(1), match.group(2), match.group(3).strip()
    if key:
        return Idempotency("key", key, note)
    return Idempotency(word, "", note)


def _strip_rule(comment: str) -> str:
    return _IDEMPOTENT.sub("", comment).strip()


def _field_type(field_proto: descriptor_pb2.FieldDescriptorProto) -> str:
    if field_proto.type_name:
        return field_proto.type_name.lstrip(".")
    return _TYPE_NAMES[field_proto.type]


def _add_message(
    api: Api,
    message: descriptor_pb2.DescriptorProto,
    prefix: str,
    path: tuple[int, ...],
    comments: dict[tuple[int, ...], str],
) -> None:
    full_name = f"{prefix}.{message.name}"
    oneofs = [o.name for o in message.oneof_decl]
    fields = []
    for index, item in enumerate(message.field):
        is_map = False
        if item.type_name:
            nested = next(
                (n for n in message.nested_type if item.type_name.endswith(f".{n.name}")), None
            )
            is_map = nested is not None and nested.options.map_entry
        if is_map:
            assert nested is not None
            key, value = nested.field
            type_name = f"map<{_field_type(key)}, {_field_type(value)}>"
            label = ""
        else:
            type_name = _field_type(item)
            label = "repeated" if item.label == item.LABEL_REPEATED else ""
        in_oneof = item.HasField("oneof_index") and not item.proto3_optional
        fields.append(
            Field(
                name=item.name,
                number=item.number,
                type_name=type_name,
                label=label,
                comment=comments.get((*path, 2, index), ""),
                oneof=oneofs[item.oneof_index] if in_oneof else "",
            )
        )
    api.messages[full_name] = Message(full_name, comments.get(path, ""), fields)
    for index, nested in enumerate(message.nested_type):
        if not nested.options.map_entry:
            _add_message(api, nested, full_name, (*path, 3, index), comments)
    for index, enum in enumerate(message.enum_type):
        _add_enum(api, enum, full_name, (*path, 4, index), comments)


def _add_enum(
    api: Api,
    enum: descriptor_pb2.EnumDescriptorProto,
    prefix: str,
    path: tuple[int, ...],
    comments: dict[tuple[int, ...], str],
) -> None:
    full_name = f"{prefix}.{enum.name}"
    values = [
        (value.name, value.number, comments.get((*path, 2, index), ""))
        for index, value in enumerate(enum.value)
    ]
    api.enums[full_name] = Enum(full_name, comments.get(path, ""), values)


def load_api(descriptor_set: descriptor_pb2.FileDescriptorSet, root: str = "trademaster/") -> Api:
    """Model the files under ``root`` (imports such as google/protobuf are left out)."""
    api = Api()
    for proto in descriptor_set.file:
        if not proto.name.startswith(root):
            continue
        comments = _comments(proto)
        package = proto.package
        api.packages[package] = comments.get((2,), "")
        for index, message in enumerate(proto.message_type):
            _add_message(api, message, package, (4, index), comments)
        for index, enum in enumerate(proto.enum_type):
            _add_enum(api, enum, package, (5, index), comments)
        for s_index, service in enumerate(proto.service):
            full_name = f"{package}.{service.name}"
            rpcs = []
            for m_index, method in enumerate(service.method):
                comment = comments.get((6, s_index, 2, m_index), "")
                rpcs.append(
                    Rpc(
                        service=full_name,
                        name=method.name,
                        input_type=method.input_type.lstrip("."),
                        output_type=method.output_type.lstrip("."),
                        server_streaming=method.server_streaming,
                        client_streaming=method.client_streaming,
                        comment=_strip_rule(comment),
                        idempotency=parse_idempotency(comment),
                        paginated=False,
                    )
                )
            api.services.append(
                Service(full_name, package, proto.name, comments.get((6, s_index), ""), rpcs)
            )
    for service in api.services:
        service.rpcs[:] = [_with_paging(api, rpc) for rpc in service.rpcs]
    return api


def _with_paging(api: Api, rpc: Rpc) -> Rpc:
    request = {f.name for f in api.messages[rpc.input_type].fields}
    response = {f.name for f in api.messages[rpc.output_type].fields}
    paginated = {"page_size", "page_token"} <= request and "next_page_token" in response
    return Rpc(**{**rpc.__dict__, "paginated": paginated})
