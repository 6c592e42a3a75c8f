"""Around every HTTP request: its access log line, its metrics and its trace span; and `/metrics`.

The GraphQL endpoint says what it learnt of the request (its id, operation, caller kind, error
codes) on the `Note` it finds in the ASGI scope; the rest is read here from the scope and from the
answer's status. Who may read `/metrics`: a peer within RABT_METRICS_NETWORKS (loopback by
default), connecting directly: a request that came through a proxy (it carries X-Forwarded-For or
Forwarded) is refused, so a reverse proxy on the same host does not open it to the world.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.telemetry import logs, metrics, traces
from hub.web.client_address import Network

NOTE = "rabt.note"
ROUTES = ("/graphql", "/healthz", "/metrics", "/.well-known/jwks.json", "/demo/token", "/livez", "/readyz")
POOL_EVERY = 1.0  # seconds between two readings of the pools' use

PoolUse = Callable[[], Iterable[tuple[str, str, int]]]


class Note:
    """What the endpoint learnt of a request, for its access line, metrics and span."""

    __slots__ = ("caller", "codes", "operation", "request_id")

    def __init__(self) -> None:
        self.request_id: str | None = None
        self.operation: str | None = None
        self.caller: str | None = None
        self.codes: tuple[str, ...] = ()


def note_of(scope: Scope) -> Note:
    """The request's note (a fresh one outside `Observed`, as in a test calling the endpoint alone)."""
    note = scope.get(NOTE)
    if note is None:
        note = scope[NOTE] = Note()
    return note


def _route(path: str) -> str:
    if path in ROUTES:
        return path
    return "/static" if path.startswith("/static/") else "other"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class Observed:
    """Called by the hub app (`hub.web.app.HubApp`) with each HTTP request and what answers it."""

    def __init__(
        self,
        *,
        metrics_from: Sequence[Network],
        pool_use: PoolUse | None = None,
        request_id: Callable[[str | None], str],
    ) -> None:
        self.metrics_from = tuple(metrics_from)
        self.pool_use = pool_use
        self.request_id = request_id
        self._pool_read = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        if scope["path"] == "/metrics":
            await self._metrics(scope, send)
            return
        started = time.perf_counter()
        note = scope[NOTE] = Note()
        status = [500]  # unless an answer starts

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        route = _route(scope["path"])
        parent = None
        traceparent = _header(scope, b"traceparent")
        if traceparent is not None:
            carrier = {"traceparent": traceparent}
            if (tracestate := _header(scope, b"tracestate")) is not None:
                carrier["tracestate"] = tracestate
            parent = traces.incoming(carrier)
        span = traces.start_request(
            f"{scope['method']} {route}", parent, {"http.request.method": scope["method"], "url.path": route}
        )
        metrics.IN_FLIGHT.inc()
        try:
            if span is None and parent is not None:
                # Not recording, the caller's trace still goes on to the parts this one asks.
                with trace.use_span(trace.get_current_span(parent), end_on_exit=False):
                    await app(scope, receive, sending)
            elif span is None:
                await app(scope, receive, sending)
            else:
                with trace.use_span(span, end_on_exit=False, record_exception=True, set_status_on_exception=True):
                    await app(scope, receive, sending)
        finally:
            metrics.IN_FLIGHT.dec()
            self._done(scope, note, route, status[0], time.perf_counter() - started, parent, span)

    def _done(self, scope: Scope, note: Note, route: str, status: int, seconds: float, parent: Any, span: Any) -> None:
        operation = metrics.operation_label(note.operation)
        code = note.codes[0] if note.codes else ("OK" if status < 400 else str(status))
        metrics.labelled(metrics.REQUESTS, route, operation, str(status), code).inc()
        metrics.labelled(metrics.REQUEST_SECONDS, route, operation).observe(seconds)
        request_id = note.request_id or self.request_id(_header(scope, b"x-request-id"))
        trace_id = traces.trace_id_of(parent, span)
        if span is not None:
            span.set_attribute("http.response.status_code", status)
            span.set_attribute("rabt.request_id", request_id)
            if note.operation:
                span.set_attribute("graphql.operation.name", note.operation)
            if note.caller:
                span.set_attribute("rabt.caller_kind", note.caller)
            if status >= 500:
                traces.failed(span, f"HTTP {status}")
            span.end()
        logs.access(
            f"{scope['method']} {route} {status}",
            {
                "request_id": request_id,
                "method": scope["method"],
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "operation": note.operation,
                "caller": note.caller,
                "codes": list(dict.fromkeys(note.codes)) or None,
                "trace_id": trace_id,
            },
        )
        now = time.monotonic()
        if self.pool_use is not None and now - self._pool_read >= POOL_EVERY:
            self._pool_read = now
            for pool, state, value in self.pool_use():
                metrics.POOL.labels(pool, state).set(value)

    async def _metrics(self, scope: Scope, send: Send) -> None:
        if self._may_read_metrics(scope):
            status, body, media = 200, metrics.render(), metrics.CONTENT_TYPE
        else:
            status, body, media = 404, b"Not Found", "text/plain"
        await _send(send, status, body, media)

    def _may_read_metrics(self, scope: Scope) -> bool:
        if _header(scope, b"x-forwarded-for") is not None or _header(scope, b"forwarded") is not None:
            return False
        client = scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.metrics_from)


async def _send(send: Callable[[Message], Awaitable[None]], status: int, body: bytes, media: str) -> None:
    headers = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
