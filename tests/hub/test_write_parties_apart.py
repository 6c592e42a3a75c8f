"""A sector in a database of its own (traffic, here): a vehicle sale's offer and acceptance leave
through its outbox and are relayed with every party named, so the seller and the buyer each see
both in their own access log; the per-person index covers both and `audit-verify` passes."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select

from hub.audit.index import SubjectIndexer
from hub.audit.records import AuditSubject
from hub.audit.relay import SECTOR_OUTBOX
from hub.audit.verify import verify_chain
from hub.contract.principal import Principal
from hub.migrations import components, placed, upgrade
from hub.settings import Settings
from hub.web.app import create_app
from hub.web.hub import Hub
from sectors.traffic.models import VehicleRow, VehicleTransferRow
from tests.conftest import _create_postgres_database, _drop_postgres_database, individual, service_unavailable
from tests.federation.processes import hub_command
from tests.sectors.parties import LOG
from tests.sectors.traffic.test_vehicle_transfer import ACCEPT, BUYER, OFFER, SELLER

SUBJECTS = AuditSubject.__table__


@dataclass
class Apart:
    hub: Hub
    client: httpx.AsyncClient
    env: dict[str, str]

    async def ask(self, query: str, caller: Principal, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        token = self.hub.signer.issue(caller)  # type: ignore[union-attr]
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers={"authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


@pytest_asyncio.fixture
async def apart(tmp_path: Path) -> AsyncIterator[Apart]:
    try:
        hub_url, sector_url = await _create_postgres_database(), await _create_postgres_database()
    except OSError as error:
        service_unavailable("PostgreSQL", error)
    try:
        settings = Settings(
            database_url=hub_url,
            sector_databases={"traffic": sector_url},
            data_dir=tmp_path,
            seed_people=50,
            mode="demo",
        )
        hub = Hub.build(settings)
        for url, held in placed(settings.database_url, components(hub.sectors), settings.sector_databases):
            await upgrade(url, held)
        app = create_app(settings, hub)
        env = {k: v for k, v in os.environ.items() if not k.startswith("RABT_")}
        env |= {"RABT_DATABASE_URL": hub_url, "RABT_TRAFFIC_DATABASE_URL": sector_url}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://rabt.test", timeout=60) as client:
                yield Apart(hub, client, env)
    finally:
        await _drop_postgres_database(hub_url)
        await _drop_postgres_database(sector_url)


async def _log(apart: Apart, person: str, action: str) -> list[dict[str, Any]]:
    log = await apart.ask(LOG, individual(person))
    return [entry for entry in log["data"]["me"]["accessLog"]["entries"] if entry["action"] == action]


async def test_each_party_to_a_sale_apart_sees_it_and_the_index_covers_both(apart: Apart) -> None:
    sector_db = apart.hub.stores.database("traffic")
    pending = select(VehicleTransferRow.sequence_number).where(VehicleTransferRow.status == "pending")
    (number,) = (
        await sector_db.fetch(
            select(VehicleRow.sequence_number)
            .where(VehicleRow.owner_id == SELLER, VehicleRow.sequence_number.not_in(pending))
            .limit(1)
        )
    )[0]
    steps = (
        ("transferVehicleOwnership", OFFER, {"personId": SELLER, "sequenceNumber": number, "buyerId": BUYER}, SELLER),
        ("acceptVehicleTransfer", ACCEPT, {"personId": BUYER, "sequenceNumber": number}, BUYER),
    )
    for action, query, data, caller in steps:
        before = {person: await _log(apart, person, action) for person in (SELLER, BUYER)}
        answer = await apart.ask(query, individual(caller), {"input": data})
        assert answer["data"][action]["__typename"].startswith("VehicleTransfer"), answer
        for person in (SELLER, BUYER):
            after = await _log(apart, person, action)
            assert len(after) == len(before[person]) + 1, (action, person, after)
            assert after[0]["actingAs"] == ("self" if person == caller else "party")
            assert after[0]["outcome"] == "ok"
    relayed = [row.audit_id for row in await sector_db.fetch(select(SECTOR_OUTBOX.c.audit_id))]
    assert len(relayed) == 2 and None not in relayed
    await SubjectIndexer(apart.hub.db).catch_up()
    indexed = await apart.hub.db.fetch(
        select(SUBJECTS.c.audit_id, SUBJECTS.c.subject_id).where(SUBJECTS.c.audit_id.in_(relayed))
    )
    assert sorted(indexed) == sorted((audit_id, person) for audit_id in relayed for person in (SELLER, BUYER))
    assert (await verify_chain(apart.hub.db)).intact
    verified = await asyncio.to_thread(
        subprocess.run, hub_command("audit-verify"), env=apart.env, capture_output=True, text=True
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
