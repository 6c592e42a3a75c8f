"""OpenTelemetry traces: a span per request (`hub.web.observed`), per sector batch (`batch`) and
per audit append (`hub.audit.writer`), in the trace the caller's W3C `traceparent` names.

Off by default: without `RABT_OTLP_ENDPOINT` no span is recorded or sent, and what a request pays is
reading its `traceparent` (the access log line carries the trace id either way, which is how a
request is followed through the gateway and the subgraphs without a collector). With it, spans go
in batches over OTLP/HTTP to that collector. Tests install a provider of their own (`install`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from hub.telemetry.metrics import BATCH_ERRORS, BATCH_SECONDS, labelled, sector_of

_PROPAGATOR = TraceContextTextMapPropagator()
_tracer: Tracer | None = None


def configure(service: str, otlp_endpoint: str | None) -> None:
    """Sends this process's spans to `otlp_endpoint` (OTLP over HTTP, e.g.
    http://collector:4318/v1/traces) as `service`; None records none."""
    if not otlp_endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    install(provider)


def install(provider: trace.TracerProvider | None) -> None:
    """Records spans with `provider` from now on (None: none)."""
    global _tracer
    _tracer = provider.get_tracer("rabt") if provider is not None else None


def tracer() -> Tracer | None:
    """The tracer spans are recorded with, or None when tracing is off."""
    return _tracer


def incoming(headers: Mapping[str, str]) -> Context | None:
    """The caller's trace context from its `traceparent` (and `tracestate`) header, if any."""
    if "traceparent" not in headers:
        return None
    return _PROPAGATOR.extract(headers)


def outgoing() -> dict[str, str]:
    """The current trace context as `traceparent` (and `tracestate`) headers for a call this part
    makes to another, so the other's spans and log lines join the same trace; {} outside one."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def trace_id_of(context: Context | None, span: Span | None) -> str | None:
    """The trace a request belongs to, as 32 hex digits: its span's, else its caller's, else None."""
    found = span if span is not None else (trace.get_current_span(context) if context is not None else None)
    if found is None:
        return None
    span_context = found.get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def start_request(name: str, context: Context | None, attributes: Mapping[str, Any]) -> Span | None:
    if _tracer is None:
        return None
    return _tracer.start_span(name, context=context, kind=SpanKind.SERVER, attributes=dict(attributes))


class batch:
    """`with batch(table, keys):` around one loader batch's statement: its latency and failures per
    sector, and its span when tracing is on. A class rather than a generator: every batch enters one."""

    __slots__ = ("_keys", "_sector", "_span", "_start", "_table")

    def __init__(self, table: str, keys: int) -> None:
        self._table = table
        self._keys = keys
        self._sector = sector_of(table)
        self._span: Any = None
        self._start = 0.0

    def __enter__(self) -> None:
        if _tracer is not None:
            self._span = _tracer.start_as_current_span(
                f"batch {self._sector}",
                attributes={"rabt.sector": self._sector, "db.collection.name": self._table, "rabt.keys": self._keys},
            )
            self._span.__enter__()
        self._start = time.perf_counter()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _: Any) -> None:
        labelled(BATCH_SECONDS, self._sector).observe(time.perf_counter() - self._start)
        if error is not None:
            labelled(BATCH_ERRORS, self._sector).inc()
        if self._span is not None:
            self._span.__exit__(kind, error, _)


def failed(span: Span, message: str) -> None:
    span.set_status(Status(StatusCode.ERROR, message))
