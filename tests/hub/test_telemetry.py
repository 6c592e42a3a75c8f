"""What the hub tells its operators about each request: one access line, the metrics at /metrics
(and who may read them), and the spans of a trace continued from the caller's `traceparent`."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from hub.telemetry import logs, traces
from tests.conftest import PERSONA, Api, individual, own_hub

HEADLINE = (Path(__file__).resolve().parents[2] / "hub/api/operations/PersonStatus.graphql").read_text()
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [dict(record.fields) for record in caplog.records if record.name == "rabt.access"]  # type: ignore[attr-defined]


async def test_every_request_ends_with_one_access_line(sqlite_api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="rabt.access")
    worker = PERSONA["absconding_worker"]
    await sqlite_api.client.post(
        "/graphql",
        json={"query": HEADLINE, "variables": {"id": worker}, "operationName": "PersonStatus"},
        headers={**sqlite_api.headers(individual(worker)), "x-request-id": "telemetry-1"},
    )
    await sqlite_api.client.post("/graphql", json={"query": '{ person(id: "12") { id } }'})
    await sqlite_api.client.get("/healthz", headers={"x-request-id": "telemetry-3"})
    headline, invalid, health = _access_lines(caplog)
    assert headline["request_id"] == "telemetry-1"
    assert (headline["route"], headline["status"], headline["operation"], headline["caller"]) == (
        "/graphql",
        200,
        "PersonStatus",
        "individual",
    )
    assert headline["codes"] is None and headline["duration_ms"] > 0
    assert invalid["caller"] == "anonymous" and invalid["codes"] == ["INVALID_ID"]
    assert len(invalid["request_id"]) == 32  # a fresh one when the caller sent none
    assert (health["route"], health["status"], health["request_id"]) == ("/healthz", 200, "telemetry-3")


def test_log_lines_are_json_or_text_with_a_utc_timestamp() -> None:
    record = logging.makeLogRecord(
        {"name": "rabt.access", "levelno": 20, "levelname": "INFO", "msg": "POST /graphql 200", "created": 0.25}
    )
    record.fields = {"request_id": "r1", "status": 200}
    line = json.loads(logs.JsonFormatter().format(record))
    assert line.pop("pid") == record.process
    assert line == {
        "time": "1970-01-01T00:00:00.250Z",
        "level": "info",
        "logger": "rabt.access",
        "message": "POST /graphql 200",
        "request_id": "r1",
        "status": 200,
    }
    text = logs.TextFormatter().format(record)
    assert text == "1970-01-01T00:00:00.250Z INFO rabt.access: POST /graphql 200 request_id=r1 status=200"


def test_a_callers_malformed_tracestate_never_reaches_the_logs(capsys: pytest.CaptureFixture[str]) -> None:
    root, otel = logging.getLogger(), logging.getLogger("opentelemetry.trace.span")
    handlers, levels = list(root.handlers), (root.level, otel.level)
    try:
        logs.configure("text")
        carrier = {"traceparent": f"00-{TRACE_ID}-{PARENT_SPAN}-01", "tracestate": "rabt=ok,forged words"}
        assert traces.incoming(carrier) is not None
    finally:
        root.handlers[:] = handlers
        root.setLevel(levels[0])
        otel.setLevel(levels[1])
    assert "forged" not in capsys.readouterr().err


async def test_debug_logs_carry_no_statement_values_nor_websocket_frames(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """At `debug` too: aiosqlite would write every SQL statement with its values (IDs, names,
    password hashes), uvicorn every WebSocket frame (a token, a notice)."""
    loggers = [logging.getLogger(name) for name in ("", "aiosqlite", "uvicorn.error")]
    handlers, levels = list(loggers[0].handlers), [logger.level for logger in loggers]
    try:
        logs.configure("text", "debug")
        async with aiosqlite.connect(":memory:") as db:
            await db.execute("SELECT ?", (PERSONA["sponsor"],))
        frames_logged = logging.getLogger("uvicorn.error").isEnabledFor(logging.DEBUG)
        hub_debug = logging.getLogger("rabt").isEnabledFor(logging.DEBUG)
    finally:
        loggers[0].handlers[:] = handlers
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    assert PERSONA["sponsor"] not in capsys.readouterr().err
    assert not frames_logged
    assert hub_debug  # the hub's own lines still come at debug


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_count_requests_by_operation_and_code(sqlite_api: Api) -> None:
    worker = PERSONA["absconding_worker"]
    labels = {"route": "/graphql", "operation": "PersonStatus", "status": "200"}
    ok, denied = (
        _sample("rabt_requests_total", **labels, code="OK"),
        _sample("rabt_requests_total", **labels, code="FORBIDDEN"),
    )
    batches = _sample("rabt_sector_batch_duration_seconds_count", sector="passports")
    appends = _sample("rabt_audit_append_duration_seconds_count")
    body = {"query": HEADLINE, "variables": {"id": worker}, "operationName": "PersonStatus"}
    await sqlite_api.client.post("/graphql", json=body, headers=sqlite_api.headers(individual(worker)))
    other = individual(PERSONA["sponsor"])  # a sponsor reads the worker's passports data, nothing else
    await sqlite_api.client.post("/graphql", json=body, headers=sqlite_api.headers(other))
    assert _sample("rabt_requests_total", **labels, code="OK") == ok + 1
    assert _sample("rabt_requests_total", **labels, code="FORBIDDEN") == denied + 1
    assert _sample("rabt_sector_batch_duration_seconds_count", sector="passports") >= batches + 2
    assert _sample("rabt_audit_append_duration_seconds_count") >= appends + 1
    exposed = await sqlite_api.client.get("/metrics")
    assert exposed.status_code == 200
    for name in (
        "rabt_requests_total",
        "rabt_request_duration_seconds_bucket",
        "rabt_requests_in_flight",
        "rabt_sector_batch_duration_seconds_bucket",
        "rabt_audit_append_group_size_bucket",
        "rabt_db_pool_connections",
    ):
        assert f"\n{name}{{" in exposed.text or f"\n{name} " in exposed.text, name


async def test_metrics_are_read_only_from_the_metrics_networks_directly(tmp_path: Path) -> None:
    async with own_hub(tmp_path, metrics_networks="10.0.0.0/8") as (_, client):
        assert (await client.get("/metrics")).status_code == 404  # the test client is 127.0.0.1
    async with own_hub(tmp_path) as (_, client):
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/metrics", headers={"x-forwarded-for": "127.0.0.1"})).status_code == 404


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traces.install(provider)
    try:
        yield exporter
    finally:
        traces.install(None)


async def test_the_headline_query_is_one_trace_continued_from_the_callers_traceparent(
    sqlite_api: Api, spans: InMemorySpanExporter
) -> None:
    worker = PERSONA["absconding_worker"]
    response = await sqlite_api.client.post(
        "/graphql",
        json={"query": HEADLINE, "variables": {"id": worker}, "operationName": "PersonStatus"},
        headers={**sqlite_api.headers(individual(worker)), "traceparent": f"00-{TRACE_ID}-{PARENT_SPAN}-01"},
    )
    assert response.status_code == 200 and "errors" not in response.json()
    finished = spans.get_finished_spans()
    assert {format(span.context.trace_id, "032x") for span in finished} == {TRACE_ID}
    (request,) = [span for span in finished if span.name == "POST /graphql"]
    assert request.parent is not None and format(request.parent.span_id, "016x") == PARENT_SPAN
    assert request.attributes is not None
    assert request.attributes["graphql.operation.name"] == "PersonStatus"
    assert request.attributes["http.response.status_code"] == 200
    below = _descendants(request, finished)
    batches = {span.attributes["rabt.sector"] for span in below if span.name.startswith("batch ")}  # type: ignore[index]
    assert {"identity", "passports", "traffic", "civil_defence"} <= batches
    (audit,) = [span for span in below if span.name == "audit append"]
    assert audit.attributes is not None and audit.attributes["rabt.audit.group_size"] >= 1


def _descendants(root: ReadableSpan, spans: tuple[ReadableSpan, ...]) -> list[ReadableSpan]:
    by_parent: dict[int, list[ReadableSpan]] = {}
    for span in spans:
        if span.parent is not None:
            by_parent.setdefault(span.parent.span_id, []).append(span)
    found, todo = [], [root]
    while todo:
        for child in by_parent.get(todo.pop().context.span_id, []):
            found.append(child)
            todo.append(child)
    return found
