"""A sector in a database of its own (traffic, here): a vehicle sale's offer and acceptance leave
through its outbox and are relayed with every party named, so the seller and the buyer each see
both in their own access log; the per-person index covers both and `audit-verify` passes."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from sqlalchemy import select

from hub.audit.index import SubjectIndexer
from hub.audit.records import AuditSubject
from hub.audit.relay import SECTOR_OUTBOX
from hub.audit.verify import verify_chain
from sectors.traffic.models import VehicleRow, VehicleTransferRow
from tests.apart import Apart, hub_with_sector_apart
from tests.conftest import individual
from tests.federation.processes import hub_command
from tests.sectors.parties import LOG
from tests.sectors.traffic.test_vehicle_transfer import ACCEPT, BUYER, OFFER, SELLER

SUBJECTS = AuditSubject.__table__


@pytest_asyncio.fixture
async def apart(tmp_path: Path) -> AsyncIterator[Apart]:
    async with hub_with_sector_apart("traffic", tmp_path) as found:
        yield found


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
