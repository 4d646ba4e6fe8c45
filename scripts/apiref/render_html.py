"""Render the API reference as one self-contained HTML page (served at /docs/api)."""

from __future__ import annotations

from html import escape

from apiref.descriptors import Api, Enum, Message, Rpc, Service
from apiref.servicers import Analysis, RpcFacts

_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;display:flex;color:#1d2433}
nav{width:290px;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f6f9;
padding:12px 16px;box-sizing:border-box;font-size:13px}
nav a{display:block;color:#1d4ed8;text-decoration:none;padding:1px 0}
nav .svc{font-weight:600;margin-top:10px}
main{flex:1;padding:16px 40px;max-width:1100px}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f4f6f9;padding:10px;overflow:auto}
table{border-collapse:collapse;width:100%;margin:6px 0 14px}
td,th{border:1px solid #d9dee7;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f6f9}
.rpc{border-left:4px solid #1d4ed8;padding-left:12px;margin:22px 0}
.tag{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;margin-right:4px;
background:#e0e7ff}
.tag.no{background:#fee2e2}.tag.safe{background:#dcfce7}
"""

_RULES = """
<h2 id="rules">Rules for every call</h2>
<h3>Addresses and authentication</h3>
<p>Every service speaks gRPC (HTTP/2) with server reflection and <code>grpc.health.v1</code>.
On the local stack (<code>./tm up</code>): strategy 50051, notifier 50052, backtest 50053,
risk 50054, trainer 50055, identity (the gateway) 50056. Send
<code>authorization: Bearer &lt;token&gt;</code> metadata on every RPC except the public ones
(<code>IdentityService.Login</code>, health, reflection). A token is either a short-lived user
JWT from <code>Login</code> (log in again before <code>expire_time</code>) or a long-lived service
token from <code>CreateServiceToken</code> (ask an admin; revocable at once).</p>
<h3>Errors</h3>
<p>Failures are <code>google.rpc.Status</code> in the <code>grpc-status-details-bin</code> trailer
with <code>google.rpc.ErrorInfo</code> (<code>domain = "trademaster"</code>, <code>reason</code>
in UPPER_SNAKE, sometimes <code>metadata</code> such as <code>required_roles</code>) and, for
<code>INVALID_ARGUMENT</code>, <code>google.rpc.BadRequest.field_violations</code> naming each
bad field. The trailer <code>x-request-id</code> identifies the call in the server logs. Branch
on <code>reason</code>, not on the message text. A resource that belongs to someone else
answers <code>NOT_FOUND</code>, exactly like one that does not exist.</p>
<h3>Retries and idempotency</h3>
<p>Each RPC states whether a repeat is safe: <b>read-only</b>, <b>yes</b> (a repeat changes
nothing more), <b>by request_id / client_order_id</b> (send the same key again and get the first
result back) or <b>no</b>. Retry <code>UNAVAILABLE</code> with backoff only for the safe ones
(<code>trademaster-client</code> does this through the gRPC service config); never retry the
others blindly: read the resource first. Set a deadline on every unary call.</p>
<h3>Pagination</h3>
<p>List RPCs take <code>page_size</code> (0 = server default, larger values are clamped) and
<code>page_token</code> (empty for the first page) and return <code>next_page_token</code>
(empty on the last page). Tokens are opaque, tied to the same filter, and a forged or stale
token answers <code>INVALID_ARGUMENT</code>.</p>
<h3>Events</h3>
<p><code>NotifierService.Subscribe</code> streams events of the topics named
(<code>training_job/&lt;job_id&gt;</code>, <code>backtest/&lt;backtest_id&gt;</code>); the first
message is a heartbeat that says you are joined. Event ids look like
<code>&lt;topic&gt;@&lt;ms&gt;-&lt;seq&gt;</code>; after a disconnect subscribe again with
<code>after_event_id</code> set to the last id received and nothing still retained is missed.
Heartbeats (no <code>event_id</code>) arrive when the stream is idle.</p>
<h3>Compatibility</h3>
<p>The <code>v1</code> packages change additively only; see <code>protos/README.md</code> for
the versioning promise and deprecation policy.</p>
"""


def _anchor(name: str) -> str:
    return escape(name.replace(".", "-"))


def _type_link(api: Api, name: str) -> str:
    if name in api.messages or name in api.enums:
        return f'<a href="#{_anchor(name)}"><code>{escape(name)}</code></a>'
    return f"<code>{escape(name)}</code>"


def _text(comment: str) -> str:
    return "<br>".join(escape(line) for line in comment.splitlines()) if comment else ""


def _idempotency(rpc: Rpc) -> str:
    rule = rpc.idempotency
    label = {
        "read-only": "read-only",
        "yes": "idempotent",
        "key": f"idempotent by {rule.key_field}",
        "no": "not idempotent",
        "undocumented": "idempotency not documented",
    }[rule.kind]
    css = "safe" if rule.retry_safe else "no"
    note = f" — {escape(rule.note)}" if rule.note else ""
    return f'<span class="tag {css}">{escape(label)}</span>{note}'


def _authorization(rpc: Rpc, facts: RpcFacts, analysis: Analysis) -> str:
    if rpc.full_method in analysis.public_methods:
        return "public: no token needed"
    if facts.authorization:
        return f"{escape(facts.authorization)} (authorization table)"
    if not facts.implemented:
        return "authenticated; no servicer method found (not implemented yet)"
    text = "authenticated"
    if facts.required_roles:
        text += "; requires one of roles: " + ", ".join(sorted(facts.required_roles))
    if facts.role_rules:
        text += "; wider access for: " + ", ".join(sorted(facts.role_rules))
    return escape(text)


def _errors(facts: RpcFacts) -> str:
    if not facts.implemented:
        return "<p>UNIMPLEMENTED until the service implements it.</p>"
    if not facts.reasons:
        return "<p>Only the errors every RPC may return.</p>"
    rows = "".join(
        f"<tr><td><code>{escape(code)}</code></td><td><code>{escape(reason)}</code></td></tr>"
        for code, reason in sorted(facts.reasons)
    )
    return f"<table><tr><th>code</th><th>ErrorInfo.reason</th></tr>{rows}</table>"


def _rpc(api: Api, rpc: Rpc, analysis: Analysis) -> str:
    facts = analysis.rpcs.get(rpc.full_method, RpcFacts())
    stream = "stream " if rpc.server_streaming else ""
    paging = (
        '<span class="tag">paginated: page_size, page_token → next_page_token</span>'
        if rpc.paginated
        else ""
    )
    return (
        f'<div class="rpc" id="{_anchor(rpc.service + "." + rpc.name)}">'
        f"<h3>{escape(rpc.name)}</h3>"
        f"<p><code>{escape(rpc.full_method)}</code>: {_type_link(api, rpc.input_type)} → "
        f"{stream}{_type_link(api, rpc.output_type)}</p>"
        f"<p>{_text(rpc.comment)}</p>"
        f"<p>{_idempotency(rpc)} {paging}</p>"
        f"<p><b>Authorization:</b> {_authorization(rpc, facts, analysis)}</p>"
        f"<p><b>Error reasons</b> (besides those of every RPC):</p>{_errors(facts)}</div>"
    )


def _message(api: Api, message: Message) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(f.name)}</code></td><td>{f.number}</td>"
        f"<td>{escape(f.label + ' ' if f.label else '')}{_type_link(api, f.type_name)}"
        f"{' (oneof ' + escape(f.oneof) + ')' if f.oneof else ''}</td>"
        f"<td>{_text(f.comment)}</td></tr>"
        for f in message.fields
    )
    table = (
        f"<table><tr><th>field</th><th>#</th><th>type</th><th>meaning</th></tr>{rows}</table>"
        if rows
        else "<p>No fields.</p>"
    )
    return (
        f'<h4 id="{_anchor(message.full_name)}"><code>{escape(message.full_name)}</code></h4>'
        f"<p>{_text(message.comment)}</p>{table}"
    )


def _enum(enum: Enum) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{number}</td><td>{_text(comment)}</td></tr>"
        for name, number, comment in enum.values
    )
    return (
        f'<h4 id="{_anchor(enum.full_name)}">enum <code>{escape(enum.full_name)}</code></h4>'
        f"<p>{_text(enum.comment)}</p>"
        f"<table><tr><th>value</th><th>#</th><th>meaning</th></tr>{rows}</table>"
    )


def _service(api: Api, service: Service, analysis: Analysis) -> str:
    rpcs = "".join(_rpc(api, rpc, analysis) for rpc in service.rpcs)
    return (
        f'<h2 id="{_anchor(service.full_name)}">{escape(service.full_name)}</h2>'
        f"<p>{_text(service.comment)} <small>(<code>{escape(service.file)}</code>)</small></p>"
        f"{rpcs}"
    )


def _nav(api: Api) -> str:
    links = ['<a href="#rules"><b>Rules for every call</b></a>']
    for service in api.services:
        links.append(
            f'<a class="svc" href="#{_anchor(service.full_name)}">'
            f"{escape(service.full_name.rsplit('.', 1)[1])}</a>"
        )
        links += [
            f'<a href="#{_anchor(service.full_name + "." + rpc.name)}">{escape(rpc.name)}</a>'
            for rpc in service.rpcs
        ]
    links.append('<a class="svc" href="#types">Messages and enums</a>')
    return "<nav>" + "".join(links) + "</nav>"


def _lines(html: str) -> str:
    """One block element per line, so a change to one proto shows as a small diff."""
    for tag in ("</p>", "</tr>", "</table>", "</h1>", "</h2>", "</h3>", "</h4>", "</div>", "</a>"):
        html = html.replace(tag, tag + "\n")
    return html


def render_reference(api: Api, analysis: Analysis) -> str:
    """The whole page; ``analysis`` supplies authorization and error reasons per RPC."""
    common = "".join(
        f"<tr><td><code>{escape(code)}</code></td><td><code>{escape(reason)}</code></td></tr>"
        for code, reason in sorted(analysis.common_reasons)
    )
    types = []
    for package in sorted(api.packages):
        members = [m for name, m in sorted(api.messages.items()) if name.startswith(package + ".")]
        enums = [e for name, e in sorted(api.enums.items()) if name.startswith(package + ".")]
        types.append(
            f"<h3>{escape(package)}</h3><p>{_text(api.packages[package])}</p>"
            + "".join(_enum(e) for e in enums)
            + "".join(_message(api, m) for m in members)
        )
    return _lines(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>TradeMaster API reference (v1)</title>"
        f"<style>{_CSS}</style></head><body>{_nav(api)}<main>"
        "<h1>TradeMaster gRPC API reference (v1)</h1>"
        "<p>Generated from <code>protos/</code> and the services' code by "
        "<code>scripts/gen_api_reference.py</code>; CI fails when it is stale. Clients: "
        "<code>trademaster-client</code> (Python), any gRPC stack from the protos "
        "(examples for grpcurl and TypeScript in <code>examples/</code>).</p>"
        f"{_RULES}"
        "<h3>Errors every RPC may return</h3>"
        f"<table><tr><th>code</th><th>ErrorInfo.reason</th></tr>{common}</table>"
        + "".join(_service(api, service, analysis) for service in api.services)
        + '<h2 id="types">Messages and enums</h2>'
        + "".join(types)
        + "</main></body></html>\n"
    )
