"""A sector apart whose write committed but whose relay to the hub's chain failed (the hub's
database timed the relay out): the write is audited once, as done, when the relay catches up, and
the caller is not told that nothing was written."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select, text

from hub.api.relay import SectorRelay
from hub.audit.reading import recorded
from hub.audit.relay import SECTOR_OUTBOX
from hub.notifications.bus import LocalBus
from sectors.civil_affairs.models import NationalAddressRow
from tests.conftest import PERSONA
from tests.reliability.test_sector_outbox import Apart, _update, apart

__all__ = ["apart"]

ADDRESSES = NationalAddressRow.__table__

# The hub's database cancels the relay's statement (SQLSTATE 57014, as a statement_timeout does).
STALL = """
CREATE FUNCTION stall_relay() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'canceling statement due to statement timeout' USING ERRCODE = '57014'; END $$;
CREATE TRIGGER stall_relay BEFORE INSERT ON audit_outbox FOR EACH ROW EXECUTE FUNCTION stall_relay();
"""


async def test_a_write_whose_relay_failed_is_audited_once_and_not_said_undone(apart: Apart) -> None:
    person, code = PERSONA["sponsor"], "54321"
    async with apart.hub.db.transaction() as session:
        for statement in STALL.strip().split(";\n"):
            await session.execute(text(statement))
    try:
        request_id, answer = await _update(apart, person, code, uuid.uuid4().hex)
    finally:
        async with apart.hub.db.transaction() as session:
            await session.execute(text("DROP TRIGGER stall_relay ON audit_outbox"))
            await session.execute(text("DROP FUNCTION stall_relay()"))
    (row,) = await apart.sector_db.fetch(select(SECTOR_OUTBOX).where(SECTOR_OUTBOX.c.request_id == request_id))
    written = await apart.sector_db.fetch(select(ADDRESSES.c.postal_code).where(ADDRESSES.c.person_id == person))
    assert [found.postal_code for found in written] == [code], "the write committed in the sector's database"
    bus = LocalBus()
    async with bus.subscribe(person) as notices:
        await SectorRelay(apart.hub.db, {"civil_affairs": apart.sector_db}, bus=bus).catch_up()
        heard = await asyncio.wait_for(anext(notices), timeout=10)
    assert heard.person_id == person and heard.sector == "civil_affairs", "the late relay pushes the notice too"
    entries = [
        (e.subject_id, e.sector, e.outcome)
        for e in await recorded(apart.hub.db, request_ids=[request_id])
        if e.action == "updateNationalAddress"
    ]
    assert entries == [(person, "civil_affairs", "ok")], f"one committed write, audited as {entries}"
    assert answer["data"]["updateNationalAddress"] == {  # type: ignore[index]
        "__typename": "NationalAddressUpdated",
        "address": {"postalCode": code},
    }, f"the write committed, but the caller was told otherwise: {answer}"
    (marked,) = await apart.sector_db.fetch(select(SECTOR_OUTBOX.c.audit_id).where(SECTOR_OUTBOX.c.id == row.id))
    assert marked.audit_id is not None
