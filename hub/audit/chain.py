"""The chain: each record holds the hash of the one before it, over its own chained columns, so an
edited, inserted or deleted record breaks every hash after it (`verify_chain`, hub/audit/verify.py).

A record's id is its place in the chain: an append reads the chain's tip (its last record's id and
hash) and links its records after it (`chained`)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from hub.audit.entries import AuditBatch, grouped
from hub.audit.records import CHAINED, AuditRecord
from hub.contract.principal import Principal

GENESIS = "0" * 64
TIP = f"SELECT id, hash FROM {AuditRecord.__tablename__} ORDER BY id DESC LIMIT 1"
APPEND_LOCK_KEY = 0x7261_6274_6170_70  # "rabtapp": PostgreSQL appends that must not lose to others take it
APPEND_LOCK = "SELECT pg_advisory_xact_lock($1)"


def row_hash(prev_hash: str, values: Mapping[str, Any]) -> str:
    """The hash over the previous one and the chained columns, `at` as UTC text; then the
    establishment the caller acted for, on the records that have one (so every other record hashes
    as it always has, and removing or adding the establishment breaks the chain)."""
    chained = [prev_hash, utc_text(values["at"]), *[values[name] for name in CHAINED[1:]]]
    on_behalf_of = values.get("on_behalf_of")
    if on_behalf_of is not None:
        chained.append(on_behalf_of)
    payload = orjson.dumps(chained)
    return hashlib.sha256(payload).hexdigest()


def utc_text(value: dt.datetime) -> str:
    """`value` as "%Y-%m-%dT%H:%M:%S.%fZ" in UTC, the chain's format since its first record;
    isoformat writes it several times faster than strftime."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@dataclass
class Pending:
    values: dict[str, Any]  # the record's columns, but for the chain's (id, prev_hash, hash)
    group: int = 0  # the records of the append that wrote it (its trace span says so)


def pending_record(batch: AuditBatch, principal: Principal, request_id: str, operation: str | None) -> Pending:
    """A request's batch as the record it is appended as (its place in the chain still to come)."""
    return Pending(
        dict(
            at=dt.datetime.now(dt.UTC),
            request_id=request_id,
            operation=operation,
            actor=principal.actor,
            role=principal.role.value,
            purpose=principal.purpose,
            on_behalf_of=principal.on_behalf_of,
            entries=orjson.dumps(grouped(batch.entries)).decode(),
        )
    )


def tip_of(last: Any) -> tuple[int, str]:
    """The chain's tip from its last record's (id, hash) row, or before the first record."""
    return (last[0], last[1]) if last else (0, GENESIS)


def chained(pending: list[Pending], tip: tuple[int, str]) -> list[dict[str, Any]]:
    """The pending records linked after the chain's `tip` (the last record's id and hash), with
    their ids."""
    next_id, previous = tip[0] + 1, tip[1]
    records: list[dict[str, Any]] = []
    for item in pending:
        record = item.values
        record["id"] = next_id
        record["prev_hash"] = previous
        record["hash"] = previous = row_hash(previous, record)
        records.append(record)
        next_id += 1
    return records
