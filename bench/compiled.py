"""Micro-benchmarks of the compiled path (functions, not tests): what planning costs, what a cached
lookup costs, and requests per second through the ASGI app with the compiled path on and off.

    from bench.compiled import planning_times, compare_paths
    print(planning_times(hub))                      # µs: new operation (validate + plan), plan only, cached
    print(asyncio.run(compare_paths(settings)))     # requests/s, compiled on vs off, in-process

`python -m bench.compiled [--database-url URL] [--requests N] [--concurrency C]` prints both
(a temporary SQLite database seeded with 2,000 people when no URL is given).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from hub.api.compiled import CompiledPath
from hub.api.compiled.planner import build_plan
from hub.api.limits import parse_document
from hub.api.operations import shipped_operations
from hub.contract.principal import Principal, Role

SERVICE = Principal(
    Role.SERVICE,
    client="bench",
    scopes=frozenset({"identity", "passports", "traffic", "civil_affairs", "civil_defence"}),
)


def person_status() -> str:
    return next(op.document for op in shipped_operations() if op.name == "PersonStatus")


def people_status() -> str:
    """`people(ids:)` with the headline query's selection (as the bench's PeopleStatusBench)."""
    return person_status().replace(
        "query PersonStatus($id: ID!) {\n  person(id: $id)",
        "query PeopleStatusBench($ids: [ID!]!) {\n  people(ids: $ids)",
    )


def planning_times(hub: Any, document: str | None = None, repeat: int = 300) -> dict[str, float]:
    """Microseconds (median) to plan a new operation (validation included / planning alone) and to
    find a cached plan, for `document` (default: the headline query)."""
    text = document or person_status()
    parsed = parse_document(text)
    path = CompiledPath(hub.schema, hub.db, hub.relation_sources(), hub.sectors)
    variables = {"id": "2010000020"}
    new, plan_only, cached = [], [], []
    for _ in range(repeat):
        path.documents.clear()
        path.plans.clear()
        began = time.perf_counter_ns()
        path.plan_for(text, parsed, variables, None)
        new.append(time.perf_counter_ns() - began)
    known = path.documents.get(text)
    assert known is not None
    operation = next(iter(known.operations.values()))
    _, coerced = path.plan_for(text, parsed, variables, None)
    for _ in range(repeat):
        began = time.perf_counter_ns()
        build_plan(path.model, operation.node, known.fragments, coerced)  # type: ignore[arg-type,union-attr]
        plan_only.append(time.perf_counter_ns() - began)
    for _ in range(repeat * 10):
        began = time.perf_counter_ns()
        path.plan_for(text, parsed, variables, None)
        cached.append(time.perf_counter_ns() - began)
    return {
        "new operation (validate + plan), µs": statistics.median(new) / 1000,
        "plan only, µs": statistics.median(plan_only) / 1000,
        "cached lookup (incl. variable coercion), µs": statistics.median(cached) / 1000,
    }


def persisted_bodies(body: bytes) -> tuple[bytes, bytes]:
    """For `./dev bench`: a plain GraphQL POST body as Apollo's APQ sends it — the
    registration (document and sha256, once) and the hash alone (every later call). Only persisted
    documents take the compiled path, so a bench scenario must send these to measure it."""
    plain = orjson.loads(body)
    digest = hashlib.sha256(plain["query"].encode()).hexdigest()
    register = {**plain, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    return orjson.dumps(register), orjson.dumps({k: v for k, v in register.items() if k != "query"})


def _apq(document: str, variables: dict[str, Any], operation: str) -> bytes:
    digest = hashlib.sha256(document.encode()).hexdigest()
    return orjson.dumps(
        {
            "variables": variables,
            "operationName": operation,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
        }
    )


async def _drive(client: Any, bodies: Sequence[tuple[bytes, dict[str, str]]], requests: int, concurrency: int) -> float:
    queue = iter(range(requests))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for index in queue:
            body, headers = bodies[index % len(bodies)]
            response = await client.post("/graphql", content=body, headers=headers)
            if response.status_code != 200 or b'"errors"' in response.content:
                failures += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{failures} of {requests} requests failed")
    return requests / elapsed


async def compare_paths(settings: Any, requests: int = 400, concurrency: int = 16, rounds: int = 3) -> dict[str, Any]:
    """Requests/s through the ASGI app (httpx, in-process), compiled on vs off, for the headline
    query (one person, asked by that person) and people(ids:) × 100 (a scoped service), sent as
    APQ hashes. Rounds alternate on/off so drift on a noisy machine hits both alike."""
    import httpx
    from sqlalchemy import select

    from hub.identity.models import PersonRow
    from hub.web.app import create_app
    from hub.web.hub import Hub

    hub = Hub.build(settings.model_copy(update=dict(compiled=True)))
    apps = {
        "on": create_app(settings.model_copy(update=dict(compiled=True)), hub),
        "off": create_app(settings.model_copy(update=dict(compiled=False)), hub),
    }
    results: dict[str, dict[str, list[float]]] = {
        "headline": {"on": [], "off": []},
        "people x100": {"on": [], "off": []},
    }
    async with apps["on"].router.lifespan_context(apps["on"]):
        ids = [row[0] for row in await hub.db.fetch(select(PersonRow.id).order_by(PersonRow.id))]
        sample = ids[:: max(1, len(ids) // 1000)][:1000]
        headline = person_status()
        people = people_status()
        headline_bodies = [
            (
                _apq(headline, {"id": pid}, "PersonStatus"),
                {
                    "content-type": "application/json",
                    "authorization": f"Bearer {hub.signer.issue(Principal(Role.INDIVIDUAL, person_id=pid))}",
                },
            )
            for pid in sample[:200]
        ]
        service = {
            "content-type": "application/json",
            "authorization": f"Bearer {hub.signer.issue(SERVICE)}",
            "x-purpose": "bench",
        }
        people_bodies = [
            (_apq(people, {"ids": sample[start : start + 100]}, "PeopleStatusBench"), service)
            for start in range(0, max(1, len(sample) - 100), 100)
        ]
        for app in apps.values():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
                for document, operation, variables in (
                    (headline, "PersonStatus", {"id": sample[0]}),
                    (people, "PeopleStatusBench", {"ids": sample[:100]}),
                ):  # register both documents (APQ) before sending hashes alone
                    body = orjson.loads(_apq(document, variables, operation))
                    body["query"] = document
                    await client.post("/graphql", json=body, headers=service)
        for _ in range(rounds):
            for name, app in apps.items():
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
                    results["headline"][name].append(await _drive(client, headline_bodies, requests, concurrency))
                    results["people x100"][name].append(
                        await _drive(client, people_bodies, max(20, requests // 10), concurrency)
                    )
    report: dict[str, Any] = {}
    for scenario, by_switch in results.items():
        on, off = max(by_switch["on"]), max(by_switch["off"])
        report[scenario] = {
            "compiled on, req/s": round(on, 1),
            "compiled off, req/s": round(off, 1),
            "on/off": round(on / off, 2),
        }
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--people", type=int, default=2_000)
    args = parser.parse_args(argv)
    from hub.settings import Settings
    from hub.web.hub import Hub

    workdir = Path(tempfile.mkdtemp(prefix="rabt-compiled-bench-"))
    os.environ.setdefault("RABT_OTP_PEPPER", uuid.uuid4().hex * 2)
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'rabt.db'}"
    settings = Settings(database_url=url, data_dir=workdir, seed_people=args.people, graphiql=False)
    print(asyncio.run(compare_paths(settings, args.requests, args.concurrency)))
    print(planning_times(Hub.build(settings)))


if __name__ == "__main__":
    main()
