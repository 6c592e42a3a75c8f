"""A sector in a database of its own (civil affairs, here): its mutation's audit record leaves in an
outbox row of the sector's transaction and is relayed to the hub's chain before the answer; a
relay run again appends nothing; `audit-verify` fails on a relayed row whose record is missing;
idempotency keys and notices work there as in the hub's database."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from sqlalchemy import func, select, update

from hub.api.relay import relay
from hub.audit.outbox import OUTBOX, Write
from hub.audit.reading import recorded
from hub.audit.records import AuditRecord
from hub.audit.relay import SECTOR_OUTBOX, append_relayed, outbox_in, verify_relayed
from hub.audit.verify import verify_chain
from hub.contract.population import DEMO_ESTABLISHMENT
from hub.contract.principal import Principal, Role
from hub.data.db import Database
from hub.notifications.notices import INBOX
from sectors.civil_affairs.models import IdCardRow, NationalAddressRow
from tests.apart import Apart, hub_with_sector_apart
from tests.conftest import PERSONA, officer
from tests.federation.processes import hub_command
from tests.reliability.test_failure_says_so import ADDRESS

TRAIL = AuditRecord.__table__
ADDRESSES = NationalAddressRow.__table__
UPDATE = """mutation($input: UpdateNationalAddressInput!) {
  updateNationalAddress(input: $input) { __typename ... on NationalAddressUpdated { address { postalCode } } }
}"""


@pytest_asyncio.fixture
async def apart(tmp_path: Path) -> AsyncIterator[Apart]:
    async with hub_with_sector_apart("civil_affairs", tmp_path) as found:
        yield found


async def _update(apart: Apart, person: str, code: str, key: str | None = None) -> tuple[str, dict[str, object]]:
    request_id = f"apart-{uuid.uuid4().hex[:12]}"
    headers = {"authorization": f"Bearer {apart.hub.signer.issue(officer('civil_affairs'))}"}  # type: ignore[union-attr]
    response = await apart.client.post(
        "/graphql",
        json={
            "query": UPDATE,
            "variables": {
                "input": {**ADDRESS, "personId": person, "postalCode": code} | ({"idempotencyKey": key} if key else {})
            },
        },
        headers=headers | {"x-request-id": request_id, "x-purpose": "reliability test"},
    )
    assert response.status_code == 200, response.text
    return request_id, response.json()


async def test_a_write_apart_is_audited_through_the_outbox_before_its_answer(apart: Apart) -> None:
    person, key = PERSONA["sponsor"], uuid.uuid4().hex
    request_id, answer = await _update(apart, person, "12345", key)
    assert answer["data"]["updateNationalAddress"] == {  # type: ignore[index]
        "__typename": "NationalAddressUpdated",
        "address": {"postalCode": "12345"},
    }, answer
    (row,) = await apart.sector_db.fetch(select(SECTOR_OUTBOX).where(SECTOR_OUTBOX.c.request_id == request_id))
    assert (row.sector, row.subject_id, row.acting_as, row.action) == (
        "civil_affairs",
        person,
        "officer",
        "updateNationalAddress",
    )
    assert row.audit_id is not None, "the answer left before its record was relayed"
    hub_db = apart.hub.db
    entries = [e for e in await recorded(hub_db, request_ids=[request_id]) if e.action == "updateNationalAddress"]
    assert [(e.audit_id, e.subject_id, e.sector, e.outcome) for e in entries] == [
        (row.audit_id, person, "civil_affairs", "ok")
    ], "the write is audited once"
    notices = await hub_db.fetch(select(INBOX.c.message_en).where(INBOX.c.person_id == person))
    assert [notice.message_en for notice in notices] == [
        f"Your national address was updated: {ADDRESS['shortAddress']}."
    ], "the write's notice is in the hub's inbox"
    # The idempotency key is kept in the sector's database, with the write: a retry replays its answer.
    again_id, again = await _update(apart, person, "12345", key)
    assert again["data"] == answer["data"], again
    assert not await apart.sector_db.fetch(select(SECTOR_OUTBOX).where(SECTOR_OUTBOX.c.request_id == again_id))
    report = await verify_relayed(hub_db, apart.sector_db)
    assert (report.whole, report.unrelayed) == (True, 0)
    assert (await verify_chain(hub_db)).intact


async def _records(db: Database, request_id: str) -> int:
    return int((await db.fetch(select(func.count()).where(TRAIL.c.request_id == request_id)))[0][0])


async def test_a_row_relayed_twice_is_appended_once(apart: Apart) -> None:
    hub_db, sector_db = apart.hub.db, apart.sector_db
    request_id = f"twice-{uuid.uuid4().hex[:8]}"
    write = Write(PERSONA["sponsor"], "civil_affairs", "officer", "updateNationalAddress")
    async with sector_db.transaction() as session:
        row = await outbox_in(session, write, officer("civil_affairs"), request_id, "UpdateAddress", None)
    # Killed after the hub's commit, before the mark: the row is still unmarked.
    async with hub_db.transaction() as session:
        audit_id, appended = await append_relayed(session, row)
    assert appended
    assert (await verify_relayed(hub_db, sector_db)).unrelayed == 1
    await relay(hub_db, sector_db, row)
    await relay(hub_db, sector_db, row)
    assert await _records(hub_db, request_id) == 1, "a relay run again appended the record again"
    (marked,) = await sector_db.fetch(select(SECTOR_OUTBOX.c.audit_id).where(SECTOR_OUTBOX.c.id == row["id"]))
    assert marked.audit_id == audit_id
    (kept,) = await hub_db.fetch(select(OUTBOX.c.audit_id).where(OUTBOX.c.id == row["id"]))
    assert kept.audit_id == audit_id
    # Two relays at once: one appends, the other finds it.
    request_id = f"racing-{uuid.uuid4().hex[:8]}"
    async with sector_db.transaction() as session:
        row = await outbox_in(session, write, officer("civil_affairs"), request_id, None, None)
    await asyncio.gather(*(relay(hub_db, sector_db, row) for _ in range(4)))
    assert await _records(hub_db, request_id) == 1
    report = await verify_relayed(hub_db, sector_db)
    assert (report.whole, report.unrelayed) == (True, 0)
    assert (await verify_chain(hub_db)).intact


async def test_audit_verify_fails_on_a_relayed_write_without_its_record(apart: Apart) -> None:
    hub_db, sector_db = apart.hub.db, apart.sector_db
    write = Write(PERSONA["sponsor"], "civil_affairs", "officer", "updateNationalAddress")
    async with sector_db.transaction() as session:
        waiting = await outbox_in(session, write, officer("civil_affairs"), "not-relayed-yet", None, None)
        # Dated ahead: the hub's background relay takes rows a few seconds old, and the slow
        # audit-verify subprocess below must still find this one waiting, however loaded the machine.
        ahead = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        await session.execute(update(SECTOR_OUTBOX).where(SECTOR_OUTBOX.c.id == waiting["id"]).values(at=ahead))
    env = apart.env

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(hub_command("audit-verify"), env=env, capture_output=True, text=True)

    lagging = await asyncio.to_thread(verify)
    assert lagging.returncode == 0, lagging.stdout + lagging.stderr  # not relayed yet: lag, not a loss
    assert "relay lag: 1 write not relayed yet" in lagging.stdout, lagging.stdout
    await relay(hub_db, sector_db, waiting)
    async with sector_db.transaction() as session:
        stray = await outbox_in(session, write, officer("civil_affairs"), "never-audited", None, None)
        await session.execute(update(SECTOR_OUTBOX).where(SECTOR_OUTBOX.c.id == stray["id"]).values(audit_id=10**9))
    report = await verify_relayed(hub_db, sector_db)
    broken = await asyncio.to_thread(verify)
    assert report.missing == (stray["id"],)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "WRITES WITHOUT THEIR AUDIT RECORD: 1 of" in broken.stdout, broken.stdout
    assert "relay lag: none" in broken.stdout
    assert "audit chain intact" in broken.stdout


async def test_expiry_reminders_read_a_sector_apart_where_its_documents_live(apart: Apart) -> None:
    cards = IdCardRow.__table__
    (card,) = await apart.sector_db.fetch(
        select(cards.c.person_id, cards.c.expires_on)
        .where(cards.c.status == "valid")
        .order_by(cards.c.person_id)
        .limit(1)
    )
    today = card.expires_on - dt.timedelta(days=30)
    env = apart.env
    done = await asyncio.to_thread(
        subprocess.run,
        hub_command("notify-expiries", "--today", today.isoformat()),
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    kept = await apart.hub.db.fetch(
        select(INBOX.c.message_en).where(INBOX.c.person_id == card.person_id, INBOX.c.sector == "civil_affairs")
    )
    assert [notice.message_en for notice in kept if "national ID card" in notice.message_en], kept


async def test_seed_reset_empties_a_sector_apart_and_with_the_audit_its_outbox(apart: Apart) -> None:
    await _update(apart, PERSONA["sponsor"], "54321")
    env = apart.env | {"RABT_SEED_PEOPLE": "50"}

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(hub_command(*command), env=env, capture_output=True, text=True)

    kept = await asyncio.to_thread(run, "seed", "--reset")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "kept the audit trail" in kept.stdout
    assert (await verify_relayed(apart.hub.db, apart.sector_db)).writes >= 1, "the outbox went with the trail kept"
    stored = select(func.count()).where(ADDRESSES.c.postal_code == "54321")
    assert (await apart.sector_db.fetch(stored))[0][0] == 0, "the sector's own database was not emptied"
    dropped = await asyncio.to_thread(run, "seed", "--reset", "--drop-audit")
    assert dropped.returncode == 0, dropped.stdout + dropped.stderr
    assert (await verify_relayed(apart.hub.db, apart.sector_db)).writes == 0
    verified = await asyncio.to_thread(run, "audit-verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_a_write_apart_done_for_an_establishment_names_it_in_the_chain(apart: Apart) -> None:
    hub_db, sector_db = apart.hub.db, apart.sector_db
    request_id = f"acting-{uuid.uuid4().hex[:8]}"
    acting = Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"], on_behalf_of=DEMO_ESTABLISHMENT)
    write = Write(PERSONA["absconding_worker"], "civil_affairs", "establishment", "updateNationalAddress")
    async with sector_db.transaction() as session:
        row = await outbox_in(session, write, acting, request_id, None, None)
    assert row["on_behalf_of"] == DEMO_ESTABLISHMENT
    await relay(hub_db, sector_db, row)
    entries = await recorded(hub_db, request_ids=[request_id])
    assert [(e.actor, e.acting_as, e.on_behalf_of) for e in entries] == [
        (f"individual:{PERSONA['sponsor']}", "establishment", DEMO_ESTABLISHMENT)
    ]
    assert (await verify_chain(hub_db)).intact


async def test_audit_verify_fails_on_a_row_marked_relayed_by_hand(apart: Apart) -> None:
    """Whoever can write the sector's database cannot pass a write off as audited by pointing its
    outbox row at a record of the chain (and copying that record's request): the hub's own
    `audit_outbox` says which row each relayed record is for."""
    hub_db, sector_db = apart.hub.db, apart.sector_db
    request_id, _ = await _update(apart, PERSONA["sponsor"], "11111")
    (genuine,) = await sector_db.fetch(select(SECTOR_OUTBOX).where(SECTOR_OUTBOX.c.request_id == request_id))
    write = Write(PERSONA["sponsor"], "civil_affairs", "officer", "updateNationalAddress")
    async with sector_db.transaction() as session:
        hidden = await outbox_in(session, write, officer("civil_affairs"), "hidden-write", None, None)
        await session.execute(
            update(SECTOR_OUTBOX)
            .where(SECTOR_OUTBOX.c.id == hidden["id"])
            .values(audit_id=genuine.audit_id, request_id=request_id)
        )
    report = await verify_relayed(hub_db, sector_db)
    assert (report.unrelayed, report.missing) == (0, (hidden["id"],)), report
