"""The per-person index (`audit_subjects`) is derived from the chained records after their commit:
a person's log shows a read before the index has it, `audit-verify` reports the index's lag, and
after a SIGKILL the index catches up from the records when the hub starts, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hub.audit.index import SubjectIndexer
from hub.audit.reading import lag, recorded
from hub.audit.verify import verify_chain
from hub.data.db import Database
from tests.conftest import PERSONA, individual, officer, own_hub

LOG = "{ me { accessLog(first: 10) { entries { actor sector fields } nextCursor } } }"
READ = "query($id: ID!) { person(id: $id) { passports { iqama { status } } } }"

WRITER = """
import asyncio, sys
from hub.audit.entries import AuditBatch
from hub.audit.writer import AuditWriter
from hub.contract.principal import Principal, Role
from hub.data.db import Database

async def main() -> None:
    writer = AuditWriter(Database(sys.argv[1]))  # appends records and runs no indexer, as a killed hub left them
    reader = Principal(Role.OFFICER, person_id="1000000008", sector="passports", purpose="testing")
    for n in range(int(sys.argv[3])):
        batch = AuditBatch()
        batch.note(sys.argv[2], "passports", "officer", {"iqama"})
        await writer.write(batch, reader, f"killed-{n}", "Test")
    print("written", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def caught_up(db: Database) -> None:
    """Indexes every record now, as a hub does at its start."""
    indexer = SubjectIndexer(db)
    await indexer.catch_up()
    await indexer.aclose()


async def test_a_read_shows_in_the_log_before_the_index_has_it(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(SubjectIndexer, "start", lambda self: None)  # no rounds after the one at start
    subject = PERSONA["absconding_worker"]
    async with own_hub(tmp_path, seed_people=40) as (hub, client):

        def headers(principal: Any) -> dict[str, str]:
            return {"authorization": f"Bearer {hub.signer.issue(principal)}", "x-purpose": "testing"}

        read = await client.post(
            "/graphql", json={"query": READ, "variables": {"id": subject}}, headers=headers(officer("passports"))
        )
        assert read.status_code == 200 and "errors" not in read.json()
        behind = await verify_chain(hub.db)
        assert behind.intact and behind.unindexed >= 1 and behind.lag_seconds >= 0
        before = (await client.post("/graphql", json={"query": LOG}, headers=headers(individual(subject)))).json()
        shown = before["data"]["me"]["accessLog"]["entries"]
        assert {"actor": "officer:1000000008", "sector": "passports", "fields": ["iqama"]} in shown
        assert any(entry.sector == "passports" for entry in await recorded(hub.db, subject_id=subject))

        await caught_up(hub.db)
        assert (await lag(hub.db)).records == 0
        report = await verify_chain(hub.db)
        assert report.intact and report.unindexed == 0 and report.rows == behind.rows
        after = (await client.post("/graphql", json={"query": LOG}, headers=headers(individual(subject)))).json()
        assert after == before  # the index shows what the tail showed, once


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
async def test_after_a_sigkill_the_index_catches_up_from_the_records_at_start(tmp_path: Path) -> None:
    subject = PERSONA["sponsor"]
    async with own_hub(tmp_path, seed_people=40) as (hub, _):
        url = hub.settings.database_url
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, subject, "5"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ},
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "written\n"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    db = Database(url)
    try:
        killed = await verify_chain(db)
        assert killed.intact and killed.unindexed == 5  # the records are there, their index rows are not
    finally:
        await db.dispose()
    async with own_hub(tmp_path) as (hub, _):  # its start indexes what the killed writer left
        report = await verify_chain(hub.db)
        assert report.intact and report.unindexed == 0 and report.rows == killed.rows
        found = {entry.request_id for entry in await recorded(hub.db, subject_id=subject)}
        assert {f"killed-{n}" for n in range(5)} <= found
