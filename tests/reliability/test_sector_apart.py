"""Sectors own their data: every sector in a PostgreSQL database of its own, traffic's in a second
cluster this test starts and stops under load. While traffic's cluster is down the other sectors
answer every request, traffic says SECTOR_UNAVAILABLE, and it answers again within a second of its
cluster's return, without a restart of the hub."""

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
from hub.migrations import components, placed, upgrade
from hub.registry import installed_sectors
from hub.settings import Settings
from hub.web.app import create_app
from hub.web.hub import Hub
from tests.conftest import PERSONA, _create_postgres_database, _drop_postgres_database, individual, service_unavailable
from tests.reliability.cluster import Cluster, own_cluster

HEADLINE = next(op.document for op in shipped_operations() if op.name == "PersonStatus")
WORKER = PERSONA["absconding_worker"]
SHARED_SERVER_SECTORS = tuple(sector.name for sector in installed_sectors() if sector.name != "traffic")


@pytest_asyncio.fixture
async def apart(tmp_path: Path) -> AsyncIterator[tuple[Cluster, Hub, httpx.AsyncClient]]:
    try:
        urls = [await _create_postgres_database() for _ in range(1 + len(SHARED_SERVER_SECTORS))]
    except OSError as error:
        service_unavailable("PostgreSQL", error)
    try:
        with own_cluster() as cluster:
            own = dict(zip(SHARED_SERVER_SECTORS, urls[1:], strict=True)) | {
                "traffic": cluster.create_database("traffic")
            }
            settings = Settings(
                database_url=urls[0],
                sector_databases=own,
                data_dir=tmp_path,
                seed_people=50,
                mode="demo",
                connect_timeout=1.0,
                pool_timeout=1.0,
                statement_timeout=1.0,
                sector_budget=1.0,
                request_deadline=5.0,
            )
            hub = Hub.build(settings)
            for url, held in placed(settings.database_url, components(hub.sectors), own):
                await upgrade(url, held)
            app = create_app(settings, hub)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
                async with httpx.AsyncClient(transport=transport, base_url="http://rabt.test", timeout=60) as client:
                    yield cluster, hub, client
    finally:
        for url in urls:
            await _drop_postgres_database(url)


@pytest.mark.timeout(900)  # starts clusters or processes: slow on a loaded machine
async def test_a_sector_whose_database_stops_fails_alone_and_comes_back_without_a_restart(
    apart: tuple[Cluster, Hub, httpx.AsyncClient],
) -> None:
    cluster, hub, client = apart
    assert {sector: db.url.database for sector, db in hub.stores.own_databases().items()}.keys() == {
        "traffic",
        *SHARED_SERVER_SECTORS,
    }
    headers = {"authorization": f"Bearer {hub.signer.issue(individual('absconding_worker'))}"}  # type: ignore[union-attr]
    body = {"query": HEADLINE, "variables": {"id": WORKER}}

    async def ask() -> tuple[str, float]:
        started = time.monotonic()
        response = await client.post("/graphql", json=body, headers=headers)
        took = time.monotonic() - started
        assert response.status_code == 200, response.text
        answer = response.json()
        person = answer["data"]["person"]
        # The other sectors, each in its own database, answer every time.
        assert person["passports"]["iqama"]["status"] == "VALID", answer
        assert isinstance(person["civilDefence"]["incidentReports"], list), answer
        errors = [(e["extensions"]["code"], e["extensions"].get("sector")) for e in answer.get("errors", [])]
        if not errors:
            assert isinstance(person["traffic"]["accidentReports"], list)
            return "traffic answered", took
        assert errors == [("SECTOR_UNAVAILABLE", "traffic")], answer
        return "traffic unavailable", took

    assert (await ask())[0] == "traffic answered"
    outcomes: Counter[str] = Counter()
    slowest = 0.0
    stop = asyncio.Event()
    back_at: list[float] = []
    recovered: list[float] = []

    async def load() -> None:
        nonlocal slowest
        while not stop.is_set():
            outcome, took = await ask()
            outcomes[outcome] += 1
            slowest = max(slowest, took)
            if back_at and outcome == "traffic answered" and not recovered:
                recovered.append(time.monotonic() - back_at[0])

    workers = [asyncio.create_task(load()) for _ in range(4)]
    await asyncio.sleep(0.3)
    await asyncio.to_thread(cluster.stop)
    await asyncio.sleep(1.5)
    down = outcomes["traffic unavailable"]
    await asyncio.to_thread(cluster.start)
    back_at.append(time.monotonic())
    for _ in range(100):
        if recovered:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*workers)
    print(
        f"\nsector apart: {sum(outcomes.values())} requests, {dict(outcomes)}; slowest {slowest:.2f} s; "
        f"traffic answered again {recovered[0] if recovered else float('nan'):.2f} s after its cluster's return"
    )
    assert down > 0, "no request saw traffic's database down"
    assert recovered and recovered[0] < 1.0, "traffic did not answer within a second of its return"
