"""No write without its audit, whenever the hub dies: SIGKILL at a random moment during a load of
mutations (`updateNationalAddress`, each request a different person and postal code), on SQLite
and on PostgreSQL. Afterwards every acknowledged write is in the database, every write that
committed has its audit record (the record commits in the mutation's own transaction), and the
chain and the outbox verify."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bench.servers import Server, start
from hub.audit.outbox import verify_outbox
from hub.audit.reading import recorded
from hub.audit.verify import verify_chain
from hub.data.db import Database
from tests.conftest import _create_postgres_database, _drop_postgres_database, service_unavailable
from tests.federation.processes import free_port, hub_command

UPDATE = """mutation($input: UpdateNationalAddressInput!) {
  updateNationalAddress(input: $input) { __typename }
}"""
ADDRESS = {
    "buildingNumber": "2929",
    "streetAr": "طريق الملك فهد",
    "streetEn": "King Fahd Road",
    "districtAr": "العليا",
    "districtEn": "Al Olaya",
    "cityAr": "الرياض",
    "cityEn": "Riyadh",
    "additionalNumber": "7458",
    "shortAddress": "RRRD2929",
}
CLIENTS = 4


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}"
        return
    try:
        url = asyncio.run(_create_postgres_database())
    except OSError as error:
        service_unavailable("PostgreSQL", error)
    try:
        yield url
    finally:
        asyncio.run(_drop_postgres_database(url))


async def _people(url: str) -> list[str]:
    db = Database(url)
    try:
        rows = await db.fetch(text("SELECT id FROM identity_people ORDER BY id LIMIT 400"))
    finally:
        await db.dispose()
    return [row.id for row in rows]


async def _stored(url: str, people: list[str]) -> tuple[dict[str, str], set[str], bool, bool]:
    """Each person's stored postal code; the people whose address change is audited; whether the
    chain is intact; whether every outbox row has its record."""
    db = Database(url)
    try:
        rows = await db.fetch(text("SELECT person_id, postal_code FROM civil_affairs_national_addresses"))
        # From the records themselves: the per-person index follows them, and a killed hub left it behind.
        audited = {
            entry.subject_id
            for entry in await recorded(db)
            if entry.action == "updateNationalAddress" and entry.outcome == "ok"
        }
        chain, outbox = await verify_chain(db), await verify_outbox(db)
    finally:
        await db.dispose()
    return {row.person_id: row.postal_code for row in rows}, audited, chain.intact, outbox.whole


def load_and_kill(
    server: Server, port: int, headers: dict[str, str], work: list[tuple[str, str]], *, within: float = 1.0
) -> tuple[dict[str, str], dict[str, str]]:
    """Clients send `work` (person, postal code) until the hub is killed, at a random moment within
    `within` seconds of its first acknowledgement: what was sent, and what the hub acknowledged."""
    sent: dict[str, str] = {}
    acknowledged: dict[str, str] = {}
    items = iter(work)
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=10) as http:
            while True:
                with lock:
                    item = next(items, None)
                if item is None:
                    return
                person, code = item
                sent[person] = code
                try:
                    response = http.post(
                        f"http://127.0.0.1:{port}/graphql",
                        json={
                            "query": UPDATE,
                            "variables": {"input": {**ADDRESS, "personId": person, "postalCode": code}},
                        },
                        headers=headers,
                    )
                except httpx.TransportError:
                    return  # the hub is gone
                answer = (response.json().get("data") or {}).get("updateNationalAddress") or {}
                if response.status_code == 200 and answer.get("__typename") == "NationalAddressUpdated":
                    acknowledged[person] = code

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    waited = time.monotonic()
    while not acknowledged and time.monotonic() - waited < 60:  # a loaded machine starts slowly
        time.sleep(0.02)
    time.sleep(random.uniform(0.1, within))
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    for thread in threads:
        thread.join(timeout=30)
    return sent, acknowledged


@pytest.mark.timeout(900)  # starts clusters or processes: slow on a loaded machine
def test_a_hub_killed_during_mutations_leaves_no_write_without_its_audit(database: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RABT_")}
    env |= {
        "RABT_DATABASE_URL": database,
        "RABT_DATA_DIR": str(tmp_path),
        "RABT_SEED_PEOPLE": "300",
        "RABT_MODE": "demo",
        "RABT_TOKEN_PRIVATE_KEY": os.environ["RABT_TOKEN_PRIVATE_KEY"],
    }
    if not database.startswith("sqlite"):
        subprocess.run(hub_command("seed"), env=env, check=True, capture_output=True)
    port = free_port()
    server = start(
        "kill",
        hub_command("serve", "--port", str(port), "--log-level", "warning"),
        env,
        f"http://127.0.0.1:{port}/livez",
        tmp_path / "hub.log",
    )
    people = asyncio.run(_people(database))
    before = asyncio.run(_stored(database, people))[0]
    token = subprocess.run(
        hub_command("token", "officer", "1000000008", "--sector", "civil_affairs"),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    headers = {"authorization": f"Bearer {token}", "x-purpose": "reliability test"}
    work = [(person, f"{70000 + number:05d}") for number, person in enumerate(people)]
    try:
        sent, acknowledged = load_and_kill(server, port, headers, work, within=1.5)
    finally:
        server.stop()
    stored, audited, chain_intact, outbox_whole = asyncio.run(_stored(database, people))
    committed = {person for person, code in sent.items() if stored.get(person) == code and before.get(person) != code}
    present = {person for person, code in acknowledged.items() if stored.get(person) == code}
    print(
        f"\nkill test ({database.split(':')[0]}): {len(sent)} sent, {len(acknowledged)} acknowledged, "
        f"{len(present)} present, {len(committed)} committed, {len(committed & audited)} of them audited; "
        f"chain intact: {chain_intact}, outbox whole: {outbox_whole}"
    )
    assert acknowledged, "no mutation was acknowledged before the kill"
    assert present == set(acknowledged), "an acknowledged write is missing"
    assert committed <= audited, f"committed writes without their audit record: {sorted(committed - audited)}"
    assert chain_intact and outbox_whole
