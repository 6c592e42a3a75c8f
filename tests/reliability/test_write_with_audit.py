"""A mutation's audit record commits in the mutation's own transaction, with the outbox row that
names the write; `audit-verify` finds a write without its record."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import subprocess
import uuid

from sqlalchemy import delete, select, text

from hub.audit.outbox import AuditOutbox, verify_outbox
from hub.audit.reading import recorded
from hub.audit.records import AuditRecord
from sectors.civil_affairs.models import NationalAddressRow
from tests.conftest import PERSONA, Api, officer
from tests.federation.processes import hub_command
from tests.reliability.test_failure_says_so import ADDRESS, UPDATE
from tests.sectors.asking import kept


async def test_the_write_and_its_record_are_one_transaction(api: Api) -> None:
    # Someone no other test reads the address of: the session's hub is shared.
    (last,) = await api.hub.db.fetch(text("SELECT id FROM identity_people ORDER BY id DESC LIMIT 1"))
    person = last.id
    request_id = f"write-{uuid.uuid4().hex[:12]}"
    response = await api.post(
        UPDATE,
        {"input": {**ADDRESS, "personId": person}},
        as_=officer("civil_affairs"),
        headers={"x-request-id": request_id},
    )
    assert response.json()["data"]["updateNationalAddress"]["__typename"] == "NationalAddressUpdated"
    outbox = AuditOutbox.__table__
    (row,) = await api.hub.db.fetch(select(outbox).where(outbox.c.request_id == request_id))
    assert (row.sector, row.subject_id, row.action) == ("civil_affairs", person, "updateNationalAddress")
    trail = AuditRecord.__table__
    (record,) = await api.hub.db.fetch(select(trail).where(trail.c.id == row.audit_id))
    assert record.request_id == request_id
    entries = [e for e in await recorded(api.hub.db, request_ids=[request_id]) if e.action == "updateNationalAddress"]
    assert [(e.subject_id, e.sector, e.acting_as, e.outcome) for e in entries] == [
        (person, "civil_affairs", "officer", "ok")
    ], "the write is audited once, in its transaction"
    assert (await verify_outbox(api.hub.db)).whole


async def test_audit_verify_finds_a_write_without_its_record(api: Api) -> None:
    stray = uuid.uuid4().hex
    outbox = AuditOutbox.__table__
    async with api.hub.db.connect() as connection:
        await connection.execute(
            outbox.insert().values(
                id=stray,
                at=dt.datetime.now(dt.UTC),
                request_id="never-audited",
                sector="civil_affairs",
                subject_id=PERSONA["sponsor"],
                action="updateNationalAddress",
                audit_id=None,
            )
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RABT_")}
    env["RABT_DATABASE_URL"] = api.hub.db.url.render_as_string(hide_password=False)
    try:
        report = await verify_outbox(api.hub.db)
        done = await asyncio.to_thread(
            subprocess.run, hub_command("audit-verify"), env=env, capture_output=True, text=True
        )
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(delete(outbox).where(outbox.c.id == stray))
    assert report.unaudited == (stray,)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "WRITES WITHOUT THEIR AUDIT RECORD: 1" in done.stdout
    assert "audit chain intact" in done.stdout


async def test_a_write_whose_record_cannot_be_appended_is_rolled_back(api: Api) -> None:
    """The audit table refuses this request's record (a trigger): the address must not change.
    Appended after the commit, the write would stand without its record."""
    person, doomed = PERSONA["sponsor"], f"doomed-{uuid.uuid4().hex[:8]}"
    if api.backend == "sqlite":
        create = [
            f"CREATE TRIGGER refuse_{doomed.replace('-', '_')} BEFORE INSERT ON audit_trail "
            f"WHEN NEW.request_id = '{doomed}' BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
        ]
        drop = [f"DROP TRIGGER refuse_{doomed.replace('-', '_')}"]
    else:
        name = f"refuse_{doomed.replace('-', '_')}"
        create = [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.request_id = '{doomed}' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END $$",
            f"CREATE TRIGGER {name} BEFORE INSERT ON audit_trail FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
        drop = [f"DROP TRIGGER {name} ON audit_trail", f"DROP FUNCTION {name}()"]
    stored = text("SELECT postal_code FROM civil_affairs_national_addresses WHERE person_id = :id")
    before = await api.hub.db.fetch(stored, {"id": person})
    async with api.hub.db.connect() as connection:
        for statement in create:
            await connection.execute(text(statement))
    try:
        response = await api.post(
            UPDATE,
            {"input": {**ADDRESS, "personId": person, "postalCode": "55555"}},
            as_=officer("civil_affairs"),
            headers={"x-request-id": doomed},
        )
    finally:
        async with api.hub.db.connect() as connection:
            for statement in drop:
                await connection.execute(text(statement))
    assert "errors" in response.json(), response.text
    assert await api.hub.db.fetch(stored, {"id": person}) == before, "the write stood without its audit record"
    outbox = AuditOutbox.__table__
    assert not await api.hub.db.fetch(select(outbox).where(outbox.c.request_id == doomed))


async def test_many_writes_at_once_each_commit_with_their_record_and_reads_beside_them_are_answered(
    api: Api,
) -> None:
    """Writes append their records inside their transactions while reads append theirs after
    their answers: on PostgreSQL neither may keep losing the next id to the other (each loss waits
    out another transaction) until its attempts run out and the request fails."""
    people = [row.id for row in await api.hub.db.fetch(text("SELECT id FROM identity_people ORDER BY id LIMIT 48"))]
    async with contextlib.AsyncExitStack() as stack:  # their addresses put back: other tests read them
        for person in people:
            await stack.enter_async_context(kept(api, person, NationalAddressRow))
        writer, reader = officer("civil_affairs"), officer("passports")
        writes = [api.post(UPDATE, {"input": {**ADDRESS, "personId": person}}, as_=writer) for person in people]
        reads = [
            api.post("query($id: ID!) { person(id: $id) { nameEn } }", {"id": person}, as_=reader) for person in people
        ]
        answers = await asyncio.gather(*(call for pair in zip(writes, reads, strict=True) for call in pair))
        codes = [
            (answer.status_code, [error["extensions"]["code"] for error in answer.json().get("errors", [])])
            for answer in answers
        ]
        assert codes == [(200, [])] * len(answers)
        assert all(
            answer.json()["data"]["updateNationalAddress"]["__typename"] == "NationalAddressUpdated"
            for answer in answers[::2]
        )
    assert (await verify_outbox(api.hub.db)).whole
