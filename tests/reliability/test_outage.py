"""A real outage: the hub's PostgreSQL cluster (one of the test's own) stopped and started again
under a steady load. While it is down every answer is a 503 SERVICE_UNAVAILABLE with Retry-After
(never a null person that reads as unknown, never a bare 500); the first request after it is back
is answered (pooled connections the restart dropped are replaced before they fail a request)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from hub.api.operations import shipped_operations
from hub.settings import Settings
from hub.web.app import create_app
from hub.web.hub import Hub
from tests.conftest import PERSONA, individual, migrated
from tests.reliability.cluster import Cluster, own_cluster

HEADLINE = next(op.document for op in shipped_operations() if op.name == "PersonStatus")
WORKER = PERSONA["absconding_worker"]


@pytest_asyncio.fixture
async def on_cluster(tmp_path: Path) -> AsyncIterator[tuple[Cluster, Hub, httpx.AsyncClient]]:
    with own_cluster() as cluster:
        url = cluster.create_database("rabt")
        settings = Settings(
            database_url=url,
            data_dir=tmp_path,
            seed_people=50,
            mode="demo",
            statement_timeout=1.0,
            connect_timeout=1.0,
            pool_timeout=1.0,
            sector_budget=1.0,
            request_deadline=3.0,
        )
        hub = Hub.build(settings)
        await migrated(settings, hub)
        app = create_app(settings, hub)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://rabt.test", timeout=60) as client:
                yield cluster, hub, client


@pytest.mark.timeout(900)  # starts clusters or processes: slow on a loaded machine
async def test_a_stopped_database_answers_503_and_the_first_request_after_its_return_succeeds(
    on_cluster: tuple[Cluster, Hub, httpx.AsyncClient],
) -> None:
    cluster, hub, client = on_cluster
    headers = {"authorization": f"Bearer {hub.signer.issue(individual('absconding_worker'))}"}  # type: ignore[union-attr]
    body = {"query": HEADLINE, "variables": {"id": WORKER}}

    async def ask() -> tuple[int, str, float]:
        started = time.monotonic()
        response = await client.post("/graphql", json=body, headers=headers)
        took = time.monotonic() - started
        answer = response.json()
        code = answer["errors"][0]["extensions"]["code"] if "errors" in answer else "ok"
        if response.status_code == 200:
            assert answer["data"]["person"] is not None, answer  # never a null that reads as unknown
        else:
            assert response.status_code == 503 and response.headers["retry-after"], response.text
        return response.status_code, code, took

    assert (await ask())[:2] == (200, "ok")
    outcomes: Counter[tuple[int, str]] = Counter()
    slowest = 0.0
    stop = asyncio.Event()

    async def load() -> None:
        nonlocal slowest
        while not stop.is_set():
            status, code, took = await ask()
            outcomes[(status, code)] += 1
            slowest = max(slowest, took)

    workers = [asyncio.create_task(load()) for _ in range(4)]
    await asyncio.sleep(0.3)
    await asyncio.to_thread(cluster.stop)
    await asyncio.sleep(1.5)
    down = Counter(outcomes)
    await asyncio.to_thread(cluster.start)
    back = time.monotonic()
    stop.set()
    await asyncio.gather(*workers)
    first = await ask()
    recovered = time.monotonic() - back
    print(
        f"\noutage run: {sum(outcomes.values())} requests, {dict(outcomes)}; slowest {slowest:.2f} s; "
        f"first request after the restart: {first[:2]} within {recovered:.2f} s"
    )
    assert first[:2] == (200, "ok"), "the first request after the database's return failed"
    assert set(outcomes) <= {(200, "ok"), (503, "SERVICE_UNAVAILABLE")}, outcomes
    assert down[(503, "SERVICE_UNAVAILABLE")] > 0

    # A restart while nobody asks: every pooled connection is dead when the next request comes.
    await asyncio.to_thread(cluster.stop)
    await asyncio.to_thread(cluster.start)
    assert (await ask())[:2] == (200, "ok"), "a pooled connection the restart dropped failed a request"
