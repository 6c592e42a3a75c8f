"""No write without its audit when the sector lives in a database of its own: civil affairs in a
PostgreSQL cluster of this test's own, the hub's tables on the shared server. The hub is killed
(SIGKILL) at a random moment during a load of `updateNationalAddress`, again until a kill lands
between a sector's commit and its relay (a row left in the outbox); then it is started again, and
its catch-up relays what was left. Afterwards every acknowledged write is in the sector's
database, every write that committed has its record in the hub's chain, the chain is intact and
no outbox row is left unrelayed or points at no record."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.servers import Server, start
from hub.audit.outbox import verify_outbox
from hub.audit.reading import recorded
from hub.audit.relay import RelayReport, verify_relayed
from hub.audit.verify import verify_chain
from hub.data.db import Database
from tests.conftest import _create_postgres_database, _drop_postgres_database, service_unavailable
from tests.federation.processes import free_port, hub_command
from tests.reliability.cluster import own_cluster
from tests.reliability.test_kill import _people, load_and_kill

ROUNDS = 5  # kills at most, until one leaves a row unrelayed


def _serve(env: dict[str, str], tmp_path: Path, name: str) -> tuple[Server, int]:
    port = free_port()
    command = hub_command("serve", "--port", str(port), "--log-level", "warning")
    return start(name, command, env, f"http://127.0.0.1:{port}/livez", tmp_path / f"{name}.log"), port


async def _state(hub_url: str, sector_url: str) -> tuple[dict[str, str], set[str], bool, bool, RelayReport]:
    """Each person's stored postal code; the people whose address change the chain audits; whether
    the chain is intact and the hub's outbox whole; the sector's outbox against the chain."""
    hub, sector = Database(hub_url), Database(sector_url)
    try:
        rows = await sector.fetch(text("SELECT person_id, postal_code FROM civil_affairs_national_addresses"))
        audited = {
            entry.subject_id
            for entry in await recorded(hub)
            if entry.action == "updateNationalAddress" and entry.outcome == "ok"
        }
        chain, outbox = await verify_chain(hub), await verify_outbox(hub)
        relayed = await verify_relayed(hub, sector)
    finally:
        await hub.dispose()
        await sector.dispose()
    return {row.person_id: row.postal_code for row in rows}, audited, chain.intact, outbox.whole, relayed


@pytest.mark.timeout(900)  # starts clusters and processes: slow on a loaded machine
def test_a_hub_killed_during_mutations_of_a_sector_apart_leaves_no_write_without_its_audit(tmp_path: Path) -> None:
    try:
        hub_url = asyncio.run(_create_postgres_database())
    except OSError as error:
        service_unavailable("PostgreSQL", error)
    try:
        with own_cluster() as cluster:
            _run(hub_url, cluster.create_database("civil_affairs"), tmp_path)
    finally:
        asyncio.run(_drop_postgres_database(hub_url))


def _run(hub_url: str, sector_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RABT_")}
    env |= {
        "RABT_DATABASE_URL": hub_url,
        "RABT_CIVIL_AFFAIRS_DATABASE_URL": sector_url,
        "RABT_DATA_DIR": str(tmp_path),
        "RABT_SEED_PEOPLE": "300",
        "RABT_MODE": "demo",
        "RABT_TOKEN_PRIVATE_KEY": os.environ["RABT_TOKEN_PRIVATE_KEY"],
    }
    subprocess.run(hub_command("seed"), env=env, check=True, capture_output=True)
    people = asyncio.run(_people(hub_url))
    before = asyncio.run(_state(hub_url, sector_url))[0]
    token = subprocess.run(
        hub_command("token", "officer", "1000000008", "--sector", "civil_affairs"),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    headers = {"authorization": f"Bearer {token}", "x-purpose": "reliability test"}
    sent: dict[str, str] = {}
    acknowledged: dict[str, str] = {}
    left = 0
    for round_ in range(ROUNDS):
        work = [(person, f"{round_}{number:04d}") for number, person in enumerate(people)]
        server, port = _serve(env, tmp_path, f"hub-{round_}")
        try:
            round_sent, round_acknowledged = load_and_kill(server, port, headers, work)
        finally:
            server.stop()
        sent |= round_sent
        acknowledged = {person: code for person, code in acknowledged.items() if person not in round_sent}
        acknowledged |= round_acknowledged
        left = asyncio.run(_state(hub_url, sector_url))[4].unrelayed
        if left:
            break
    # The next start relays what the kills left, before its first request.
    server, _ = _serve(env, tmp_path, "hub-restarted")
    server.stop()
    stored, audited, chain_intact, outbox_whole, relayed = asyncio.run(_state(hub_url, sector_url))
    committed = {person for person, code in sent.items() if stored.get(person) == code and before.get(person) != code}
    present = {person for person, code in acknowledged.items() if stored.get(person) == code}
    print(
        f"\nkill test (sector apart, {round_ + 1} kill{'s' if round_ else ''}): {len(sent)} sent, "
        f"{len(acknowledged)} acknowledged, {len(present)} present, {len(committed)} committed, "
        f"{left} left unrelayed by the last kill, {len(committed & audited)} of the committed audited after the "
        f"restart's catch-up; chain intact: {chain_intact}, hub outbox whole: {outbox_whole}, "
        f"sector outbox: {relayed.writes} rows, {relayed.unrelayed} unrelayed, {len(relayed.missing)} without record"
    )
    assert acknowledged, "no mutation was acknowledged before a kill"
    assert left, f"no kill in {ROUNDS} landed between a sector's commit and its relay: the catch-up went untested"
    assert present == set(acknowledged), "an acknowledged write is missing"
    assert committed <= audited, f"committed writes without their audit record: {sorted(committed - audited)}"
    assert chain_intact and outbox_whole
    assert relayed.whole and relayed.unrelayed == 0, relayed
