"""Every read of personal data leaves one audit entry per person and sector, written once per request
as one record, records chained by hashes so that an edited or deleted record is found; each person
a record touched has an index row, checked against the record."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import sqlite3
import subprocess
import sys
import time
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import select, text

from hub.audit.chain import GENESIS, chained, pending_record, row_hash, tip_of, utc_text
from hub.audit.entries import AuditBatch
from hub.audit.reading import recorded
from hub.audit.records import AuditRecord, AuditSubject
from hub.audit.verify import verify_chain
from hub.audit.writer import AuditWriter
from hub.data.db import Database
from tests.conftest import PERSONA, Api, individual, officer
from tests.hub.test_audit_index import caught_up

QUERY = """query($ids: [ID!]!) {
  people(ids: $ids) { id nameEn kind passports { iqama { status } visas { number } } }
}"""


async def audit_rows(api: Api, request_id: str) -> list[tuple[str, str, str, str, str | None]]:
    entries = await recorded(api.hub.db, request_ids=[request_id])
    return [(e.subject_id, e.sector, e.acting_as, ",".join(e.fields), e.purpose) for e in entries]


async def test_each_person_and_sector_read_is_one_audit_row_naming_the_fields(api: Api) -> None:
    ids = [PERSONA["absconding_worker"], PERSONA["visitor"], PERSONA["sponsor"]]
    request_id = uuid.uuid4().hex
    response = await api.post(QUERY, {"ids": ids}, as_=officer("passports"), headers={"x-request-id": request_id})
    assert "errors" not in response.json()

    rows = await audit_rows(api, request_id)
    expected = sorted(
        [(person, "identity", "officer", "id,kind,nameEn", "testing") for person in ids]
        + [(person, "passports", "officer", "iqama,visas", "testing") for person in ids]
    )
    assert sorted(rows) == expected  # 3 people × 2 sectors read = 6 rows, no more


async def test_people_read_alike_share_one_group_of_the_record(api: Api) -> None:
    """A 100-person answer stores its accesses once with 100 IDs, not 400 rows of the same."""
    ids = [PERSONA["absconding_worker"], PERSONA["visitor"], PERSONA["sponsor"]]
    request_id = uuid.uuid4().hex
    await api.post(QUERY, {"ids": ids}, as_=officer("passports"), headers={"x-request-id": request_id})
    trail = AuditRecord.__table__
    async with api.hub.db.connect() as connection:
        stored = (
            await connection.execute(select(trail.c.entries).where(trail.c.request_id == request_id))
        ).scalar_one()
    assert orjson.loads(stored) == [
        [
            sorted(ids),
            [
                ["identity", "officer", ["id", "kind", "nameEn"], "read", "ok"],
                ["passports", "officer", ["iqama", "visas"], "read", "ok"],
            ],
        ]
    ]


async def test_records_stored_in_the_long_form_still_read_and_verify(api: Api) -> None:
    """Records written before entries were grouped hold one row per (person, sector): appended here
    as an older hub process would have, then read, chained after and verified."""
    subject, request_id = PERSONA["sponsor"], uuid.uuid4().hex
    long_form = [
        [subject, "identity", "officer", ["nameEn"], "read", "ok"],
        [subject, "passports", "officer", ["iqama"], "read", "ok"],
    ]
    trail, index = AuditRecord.__table__, AuditSubject.__table__
    # An older process wrote each record's index rows with it: the records before it were indexed.
    await caught_up(api.hub.db)
    async with api.hub.db.connect() as connection:
        last = (await connection.execute(select(trail.c.id, trail.c.hash).order_by(trail.c.id.desc()).limit(1))).one()
        values = {
            "at": dt.datetime.now(dt.UTC),
            "request_id": request_id,
            "operation": "BeforeGrouping",
            "actor": "officer:older-hub",
            "role": "officer",
            "purpose": "testing",
            "entries": orjson.dumps(long_form).decode(),
        }
        values |= {"id": last.id + 1, "prev_hash": last.hash, "hash": row_hash(last.hash, values)}
        await connection.execute(trail.insert(), [values])
        await connection.execute(index.insert(), [{"subject_id": subject, "audit_id": last.id + 1, "others": True}])
    written = await recorded(api.hub.db, request_ids=[request_id])
    assert [(e.subject_id, e.sector, e.fields) for e in written] == [
        (subject, "identity", ("nameEn",)),
        (subject, "passports", ("iqama",)),
    ]
    after = uuid.uuid4().hex  # this hub's writer last wrote the record before: it relinks after the long one
    await api.post(QUERY, {"ids": [subject]}, as_=officer("passports"), headers={"x-request-id": after})
    assert len(await audit_rows(api, after)) == 2
    assert (await verify_chain(api.hub.db)).intact


async def test_a_refused_read_is_not_recorded_as_a_read(api: Api) -> None:
    request_id = uuid.uuid4().hex
    await api.post(QUERY, {"ids": [PERSONA["sponsor"]]}, as_=officer("traffic"), headers={"x-request-id": request_id})
    assert [(sector, acting) for _, sector, acting, _, _ in await audit_rows(api, request_id)] == [
        ("identity", "officer")
    ]


async def test_a_mutation_is_audited_with_its_outcome(api: Api) -> None:
    request_id = uuid.uuid4().hex
    mutation = """mutation($input: IssueExitReentryVisaInput!) {
      issueExitReentryVisa(input: $input) { __typename ... on Refusal { code } }
    }"""
    response = await api.post(
        mutation,
        {"input": {"personId": PERSONA["absconding_worker"], "kind": "SINGLE", "days": 10}},
        as_=individual("sponsor"),
        headers={"x-request-id": request_id},
    )
    # Her iqama ends this month and a report is open: refused either way, whatever today's date.
    code = response.json()["data"]["issueExitReentryVisa"]["code"]
    assert code in ("ABSCONDING_REPORT_OPEN", "IQAMA_TOO_SHORT")
    entries = await recorded(api.hub.db, request_ids=[request_id])
    assert [(e.subject_id, e.sector, e.acting_as, e.action, e.outcome) for e in entries] == [
        (PERSONA["absconding_worker"], "passports", "sponsor", "issueExitReentryVisa", code)
    ]


async def test_a_person_sees_who_read_their_data(api: Api) -> None:
    subject = PERSONA["unpaid_violations"]
    await api.post(
        "query($id: ID!) { person(id: $id) { traffic { violations { status } } } }",
        {"id": subject},
        as_=officer("traffic"),
    )
    result = await api.query(
        "{ me { accessLog(first: 5) { entries { actor actingAs sector fields purpose } nextCursor } } }",
        as_=individual(subject),
    )
    entries = result["data"]["me"]["accessLog"]["entries"]
    assert {
        "actor": "officer:1000000008",
        "actingAs": "officer",
        "sector": "traffic",
        "fields": ["violations"],
        "purpose": "testing",
    } in entries
    assert all(entry["actingAs"] != "self" for entry in entries)


async def test_the_access_log_pages_with_a_cursor(api: Api) -> None:
    subject = PERSONA["family_head"]
    for _ in range(3):
        await api.post("query($id: ID!) { person(id: $id) { nameEn } }", {"id": subject}, as_=officer("traffic"))
    page = "query($after: String) { me { accessLog(first: 2, after: $after) { entries { at } nextCursor } } }"
    first = (await api.query(page, as_=individual(subject)))["data"]["me"]["accessLog"]
    second = (await api.query(page, {"after": first["nextCursor"]}, as_=individual(subject)))["data"]["me"]["accessLog"]
    assert len(first["entries"]) == 2 and first["nextCursor"]
    assert second["entries"] and second["entries"][0]["at"] <= first["entries"][-1]["at"]


async def test_paging_one_entry_at_a_time_walks_the_same_log_as_one_page(api: Api) -> None:
    subject = PERSONA["unpaid_violations"]
    for _ in range(2):  # each request reads two sectors of hers: one record, two entries
        await api.post(
            "query($id: ID!) { person(id: $id) { nameEn traffic { violations { status } } } }",
            {"id": subject},
            as_=officer("traffic"),
        )
    page = """query($first: Int!, $after: String) {
      me { accessLog(first: $first, after: $after) { entries { at sector fields actor } nextCursor } }
    }"""
    whole = (await api.query(page, {"first": 100}, as_=individual(subject)))["data"]["me"]["accessLog"]
    # Her log may run past one page (the suite's other tests read her too): walk as far as it goes.
    walked, cursor = [], None
    for _ in range(len(whole["entries"])):  # bounded: a cursor that never advanced would loop for ever
        part = (await api.query(page, {"first": 1, "after": cursor}, as_=individual(subject)))["data"]["me"]
        walked += part["accessLog"]["entries"]
        cursor = part["accessLog"]["nextCursor"]
        if cursor is None:
            break
    assert len(whole["entries"]) >= 4
    assert walked == whole["entries"]
    assert (cursor is None) == (whole["nextCursor"] is None), "the walk ends where the page does"


async def test_the_chain_verifies_and_an_edit_or_a_deletion_breaks_it(api: Api) -> None:
    for _ in range(3):
        await api.post(QUERY, {"ids": [PERSONA["sponsor"]]}, as_=officer("passports"))
    await caught_up(api.hub.db)  # the index covers the victims: a change to their index rows is a break
    assert (await verify_chain(api.hub.db)).intact
    trail, subjects = AuditRecord.__table__, AuditSubject.__table__
    async with api.hub.db.connect() as connection:
        victim = (await connection.execute(text("SELECT max(id) - 1 FROM audit_trail"))).scalar_one()
    edits = [
        ("UPDATE audit_trail SET purpose = 'nothing to see' WHERE id = :id", victim),
        # An entry taken out of a record: the record's hash no longer matches.
        ("UPDATE audit_trail SET entries = '[]' WHERE id = :id", victim),
        # The index a person's log is read through, made to hide a read from them.
        ("DELETE FROM audit_subjects WHERE audit_id = :id", victim),
        ("UPDATE audit_subjects SET others = false WHERE audit_id = :id", victim),
        # A record deleted: the next one's link breaks.
        ("DELETE FROM audit_trail WHERE id = :id", victim + 1),
        # An index row for a person who is in no entry of the record.
        (
            "INSERT INTO audit_subjects (subject_id, audit_id, others) "
            "SELECT '3999999999', audit_id, others FROM audit_subjects WHERE audit_id = :id LIMIT 1",
            victim,
        ),
    ]
    for statement, broken_at in edits:
        async with api.hub.db.connect() as connection:
            saved = (await connection.execute(select(trail).where(trail.c.id == victim))).one()
            index = (await connection.execute(select(subjects).where(subjects.c.audit_id == victim))).all()
            await connection.execute(text(statement), {"id": victim})
        report = await verify_chain(api.hub.db)
        assert not report.intact and report.broken_at == broken_at, statement
        async with api.hub.db.connect() as connection:  # put it back: the chain holds again
            await connection.execute(text("DELETE FROM audit_trail WHERE id = :id"), {"id": victim})
            await connection.execute(text("DELETE FROM audit_subjects WHERE audit_id = :id"), {"id": victim})
            await connection.execute(trail.insert(), [saved._asdict()])
            await connection.execute(subjects.insert(), [row._asdict() for row in index])
        assert (await verify_chain(api.hub.db)).intact, statement
    # An index row that points past the last record, at none.
    stray = victim + 1_000_000
    async with api.hub.db.connect() as connection:
        await connection.execute(subjects.insert(), [{"subject_id": "3999999999", "audit_id": stray, "others": True}])
        await connection.commit()
    try:
        report = await verify_chain(api.hub.db)
        assert not report.intact and report.broken_at == stray
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(text("DELETE FROM audit_subjects WHERE audit_id = :id"), {"id": stray})
            await connection.commit()
    assert (await verify_chain(api.hub.db)).intact


def test_the_verify_command_says_whether_the_chain_holds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"RABT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", "RABT_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "hub", "seed", "--people", "50"], env=env, check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-m", "hub", "audit-verify"], env=env, capture_output=True, text=True)
    assert done.returncode == 0
    assert "audit chain intact: 0 records" in done.stdout
    assert "audit index: up to date" in done.stdout
    # A record appended, then edited: the command says where, and fails.
    env["RABT_MODE"] = "demo"
    writer_run = (
        "import asyncio\n"
        "from hub.audit.entries import AuditBatch\n"
        "from hub.audit.writer import AuditWriter\n"
        "from hub.contract.principal import Principal, Role\n"
        "from hub.data.db import Database\n"
        "from hub.settings import Settings\n"
        "async def main():\n"
        "    db = Database(Settings().database_url)\n"
        "    writer = AuditWriter(db)\n"
        "    batch = AuditBatch()\n"
        "    batch.note('1000000008', 'identity', 'self', {'nameEn'})\n"
        "    await writer.write(batch, Principal(Role.INDIVIDUAL, person_id='1000000008'), 'r1', None)\n"
        "    await writer.aclose()\n"
        "    await db.dispose()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", writer_run], env=env, check=True, capture_output=True)
    held = subprocess.run([sys.executable, "-m", "hub", "audit-verify"], env=env, capture_output=True, text=True)
    # Appended by a writer alone, as a hub killed before indexing it leaves it: the index's lag.
    assert held.returncode == 0
    assert held.stdout.startswith("audit chain intact: 1 record\naudit index: 1 record behind"), held.stdout
    with sqlite3.connect(tmp_path / "empty.db") as connection:
        connection.execute("UPDATE audit_trail SET purpose = 'edited'")
    broken = subprocess.run([sys.executable, "-m", "hub", "audit-verify"], env=env, capture_output=True, text=True)
    assert broken.returncode == 1
    assert broken.stdout.startswith("audit chain BROKEN at record id 1 (after 0 good records)"), broken.stdout


async def test_merged_selections_through_a_shared_fragment_audit_each_persons_own_fields(api: Api) -> None:
    query = """query($x: ID!, $y: ID!) {
      a: person(id: $x) { ...F }
      b: person(id: $y) { ...F passports { visas { number } } }
    }
    fragment F on Person { passports { iqama { status } } }"""
    request_id = uuid.uuid4().hex
    x, y = PERSONA["absconding_worker"], PERSONA["sponsor"]
    response = await api.post(query, {"x": x, "y": y}, as_=officer("passports"), headers={"x-request-id": request_id})
    assert "errors" not in response.json()
    rows = {(subject, sector): fields for subject, sector, _, fields, _ in await audit_rows(api, request_id)}
    assert rows[(x, "passports")] == "iqama"
    assert rows[(y, "passports")] == "iqama,visas"


async def test_concurrent_requests_share_appends_and_the_chain_still_holds(api: Api) -> None:
    query = "query($id: ID!) { person(id: $id) { nameEn passports { iqama { status } } } }"
    ids = [PERSONA["absconding_worker"], PERSONA["sponsor"], PERSONA["visitor"], PERSONA["family_head"]] * 5
    request_ids = [uuid.uuid4().hex for _ in ids]
    await asyncio.gather(
        *(
            api.post(query, {"id": person}, as_=officer("passports"), headers={"x-request-id": request_id})
            for person, request_id in zip(ids, request_ids, strict=True)
        )
    )
    for request_id in request_ids:  # every request's own rows, each written once
        assert len(await audit_rows(api, request_id)) == 2
    assert (await verify_chain(api.hub.db)).intact


async def test_writers_in_separate_processes_never_fork_the_chain(api: Api) -> None:
    """Each writer here has its own pools, as each uvicorn worker or subgraph process does. A writer
    links its records after the tip it last wrote; when another wrote since, the insert collides on
    the record's id, nothing is written, and it links them again after the new tip."""
    url = api.hub.db.url.render_as_string(hide_password=False)
    databases = [Database(url) for _ in range(3)]
    writers = [AuditWriter(db) for db in databases]
    reader = officer("passports")

    async def write(writer: AuditWriter, subject: str) -> str:
        batch = AuditBatch()
        batch.note(subject, "passports", "officer", {"iqama"})
        request_id = uuid.uuid4().hex
        await writer.write(batch, reader, request_id, "Test")
        return request_id

    try:
        first, second = writers[0], writers[1]
        stale = await write(first, PERSONA["sponsor"])  # `first` now knows the tip as its own record
        newer = await write(second, PERSONA["visitor"])
        after = await write(first, PERSONA["visitor"])  # its known tip is stale: collides, then relinks
        ids = {e.request_id: e.audit_id for e in await recorded(api.hub.db, request_ids=[stale, newer, after])}
        assert ids[after] == ids[newer] + 1 and ids[newer] == ids[stale] + 1

        subjects = [PERSONA["absconding_worker"], PERSONA["sponsor"], PERSONA["visitor"]]
        request_ids = await asyncio.gather(*(write(writer, subjects[n % 3]) for n in range(30) for writer in writers))
        written = await recorded(api.hub.db, request_ids=request_ids)
        assert sorted(e.request_id for e in written) == sorted(request_ids)  # each once, none lost
        assert (await verify_chain(api.hub.db)).intact
    finally:
        for writer, db in zip(writers, databases, strict=True):
            await writer.aclose()
            await db.dispose()


def test_record_times_are_hashed_in_the_chains_first_format() -> None:
    """Records already chained were hashed with this text of their time: any other spelling would
    break every existing chain."""
    zones = [dt.UTC, dt.timezone(dt.timedelta(hours=3)), dt.timezone(dt.timedelta(hours=-5, minutes=-30))]
    for zone in zones:
        for micro in (0, 7, 999_999):
            moment = dt.datetime(2026, 12, 1, 23, 59, 58, micro, tzinfo=zone)
            assert utc_text(moment) == moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_record_hashes_its_chained_columns_then_the_establishment_it_acted_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The payload is fixed: changing it would break every existing chain. The time is UTC text
    whatever the machine's own zone."""
    monkeypatch.setenv("TZ", "Asia/Riyadh")
    time.tzset()
    try:
        at = dt.datetime(2026, 12, 1, 21, 0, 0, 5, tzinfo=dt.UTC)
        values = dict(
            at=at, request_id="r", operation="Op", actor="individual:1", role="individual", purpose=None, entries="[]"
        )
        plain = ["p" * 64, "2026-12-01T21:00:00.000005Z", "r", "Op", "individual:1", "individual", None, "[]"]
        assert row_hash("p" * 64, values) == hashlib.sha256(orjson.dumps(plain)).hexdigest()
        acted = {**values, "on_behalf_of": "7001234567"}
        assert row_hash("p" * 64, acted) == hashlib.sha256(orjson.dumps([*plain, "7001234567"])).hexdigest()
        assert row_hash("p" * 64, {**values, "on_behalf_of": None}) == row_hash("p" * 64, values)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_records_are_linked_after_the_tip_each_with_the_next_id() -> None:
    """The first append links to the genesis hash at id 1; a later one continues from its tip's id
    and hash, each record hashing the one before it."""
    assert tip_of(None) == (0, GENESIS)
    assert tip_of((41, "f" * 64)) == (41, "f" * 64)
    principal = dataclasses.replace(individual("sponsor"), purpose="testing", on_behalf_of="7001234567")
    batch = AuditBatch()
    batch.note(PERSONA["sponsor"], "passports", "self", {"iqama"})
    pending = [pending_record(batch, principal, f"request-{n}", "Op") for n in range(3)]
    first = pending[0].values
    assert (first["actor"], first["purpose"], first["on_behalf_of"], first["request_id"]) == (
        principal.actor,
        "testing",
        "7001234567",
        "request-0",
    )
    assert first["at"].utcoffset() == dt.timedelta(0)
    records = chained(pending, (41, "f" * 64))
    assert [record["id"] for record in records] == [42, 43, 44]
    previous = "f" * 64
    for record in records:
        assert record["prev_hash"] == previous
        assert record["hash"] == row_hash(previous, record)
        previous = record["hash"]


async def test_a_client_that_goes_away_leaves_the_shared_append_whole(api: Api) -> None:
    writer = AuditWriter(api.hub.db)
    request_ids = [uuid.uuid4().hex, uuid.uuid4().hex]

    async def write(request_id: str) -> int:
        batch = AuditBatch()
        batch.note(PERSONA["sponsor"], "passports", "officer", {"iqama"})
        return await writer.write(batch, officer("passports"), request_id, "Test")

    try:
        gone, staying = (asyncio.create_task(write(request_id)) for request_id in request_ids)
        await asyncio.sleep(0)  # both records queued for the same append
        gone.cancel()
        assert await staying == 1
        with pytest.raises(asyncio.CancelledError):
            await gone
        written = await recorded(api.hub.db, request_ids=request_ids)
        assert sorted(entry.request_id for entry in written) == sorted(request_ids)  # the record of the one gone too
        assert (await verify_chain(api.hub.db)).intact
    finally:
        await writer.aclose()


def _noted(subject: str) -> AuditBatch:
    batch = AuditBatch()
    batch.note(subject, "passports", "officer", {"iqama"})
    return batch


async def test_a_record_the_database_refuses_fails_alone_and_the_rest_of_its_group_is_written(api: Api) -> None:
    """Records that arrive while an append is written go together in the next one, one statement.
    One the database refuses (an operation name past its column, a NUL PostgreSQL cannot store as
    text, a string that cannot be encoded) made the statement fail for every request in the group."""
    writer = AuditWriter(api.hub.db)
    groups: list[int] = []
    append = writer._append

    async def counting(pending: list[Any]) -> None:
        groups.append(len(pending))
        await append(pending)

    writer._append = counting  # type: ignore[method-assign]
    reader = officer("passports")
    refused_everywhere = [("Operation\ud800", reader)]  # cannot be encoded: fails before the database
    refused_by_postgres = [("O" * 200, reader), ("Operation", dataclasses.replace(reader, purpose="a\x00b"))]
    bad = refused_everywhere + refused_by_postgres
    good = [uuid.uuid4().hex for _ in range(12)]
    bad_ids = [uuid.uuid4().hex for _ in bad]
    try:
        outcomes = await asyncio.gather(
            *(writer.write(_noted(PERSONA["sponsor"]), reader, request_id, "Good") for request_id in good[:6]),
            *(
                writer.write(_noted(PERSONA["visitor"]), who, request_id, name)
                for (name, who), request_id in zip(bad, bad_ids, strict=True)
            ),
            *(writer.write(_noted(PERSONA["sponsor"]), reader, request_id, "Good") for request_id in good[6:]),
            return_exceptions=True,
        )
    finally:
        await writer.aclose()
    assert groups[0] == len(good) + len(bad)  # they were one group, whose append failed
    failed = [
        request_id
        for request_id, outcome in zip(good[:6] + bad_ids + good[6:], outcomes, strict=True)
        if isinstance(outcome, BaseException)
    ]
    expected_failures = bad_ids if api.backend == "postgres" else bad_ids[: len(refused_everywhere)]
    assert sorted(failed) == sorted(expected_failures)
    written = {entry.request_id for entry in await recorded(api.hub.db, request_ids=good + bad_ids)}
    assert written == set(good + bad_ids) - set(failed)
    assert (await verify_chain(api.hub.db)).intact
