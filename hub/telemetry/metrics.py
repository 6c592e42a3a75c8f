"""Prometheus metrics of one hub or subgraph, served at `/metrics` (`hub.web.observed`).

With several uvicorn workers each process counts in files under `PROMETHEUS_MULTIPROC_DIR` (set by
`python -m hub serve --workers N` before the workers start, unless the operator set it), and
whichever worker answers `/metrics` adds up every worker's files: the counts are the server's, not
one worker's. That variable must be set before `prometheus_client` is first imported, which is why
this module is imported only once the command line has decided.

Labels stay few and bounded: an operation is named only when it is one of the shipped operations
(`hub/api/operations`), any other name is `other` and a request without one `none`; a sector is one
of the installed sectors (or `identity`, `accounts`, `audit`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds; a headline request takes ~2-10 ms on one core, a 100-person one ~40-60 ms.
LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATEMENT = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
GROUP = (1, 2, 4, 8, 16, 32, 64, 128)

REQUESTS = Counter(
    "rabt_requests",
    "Requests answered, by route, operation, HTTP status and first error code",
    ["route", "operation", "status", "code"],
)
REQUEST_SECONDS = Histogram(
    "rabt_request_duration_seconds",
    "Time from a request's arrival to its answer's last byte",
    ["route", "operation"],
    buckets=LATENCY,
)
IN_FLIGHT = Gauge("rabt_requests_in_flight", "Requests being answered now", multiprocess_mode="livesum")
BATCH_SECONDS = Histogram(
    "rabt_sector_batch_duration_seconds",
    "One loader batch: one SELECT for a batch of keys, by sector",
    ["sector"],
    buckets=STATEMENT,
)
BATCH_ERRORS = Counter("rabt_sector_batch_errors", "Loader batches that failed, by sector", ["sector"])
AUDIT_SECONDS = Histogram(
    "rabt_audit_append_duration_seconds", "One group-committed append to the audit chain", buckets=STATEMENT
)
AUDIT_GROUP = Histogram("rabt_audit_append_group_size", "Requests' records written by one audit append", buckets=GROUP)
AUDIT_ERRORS = Counter("rabt_audit_append_errors", "Audit appends that failed (each request is then tried alone)")
POOL = Gauge(
    "rabt_db_pool_connections",
    "Database connections of this server's pools, by pool and state",
    ["pool", "state"],
    multiprocess_mode="livesum",
)

_operations: frozenset[str] = frozenset()
_sectors: tuple[str, ...] = ()
_sector_of: dict[str, str] = {}


def name_operations(names: Iterable[str]) -> None:
    """The operation names that get a label of their own (the shipped operations)."""
    global _operations
    _operations = frozenset(names)


def operation_label(name: str | None) -> str:
    if name is None:
        return "none"
    return name if name in _operations else "other"


def name_sectors(names: Iterable[str]) -> None:
    """The sectors whose tables' batches are labelled with their name (a table `<sector>_…`)."""
    global _sectors
    _sectors = tuple(sorted({*names, "identity", "accounts", "audit"}, key=len, reverse=True))
    _sector_of.clear()


def sector_of(table: str) -> str:
    found = _sector_of.get(table)
    if found is None:
        found = next((name for name in _sectors if table.startswith(f"{name}_")), "other")
        _sector_of[table] = found
    return found


_children: dict[tuple[Any, ...], Any] = {}


def labelled(metric: Any, *values: str) -> Any:
    """`metric.labels(*values)`, remembered: `labels` checks and locks on every call (a dozen
    Python calls), and a request records one metric per loader batch and two when answered. The
    label values are bounded (routes, shipped operations, statuses, codes, sectors)."""
    key = (id(metric), *values)
    found = _children.get(key)
    if found is None:
        if len(_children) > 10_000:
            _children.clear()
        found = _children[key] = metric.labels(*values)
    return found


def render() -> bytes:
    """The text exposition of every metric: this process's, or all workers' in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
