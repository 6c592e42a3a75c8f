"""`/livez` says the process answers; `/readyz` says, per component, whether a request can be
served now (each database, Redis when configured, the audit trail's ability to append) and is 503
when one cannot. SIGTERM stops accepting, lets requests in flight finish within the grace and
answers the rest 503 SERVICE_UNAVAILABLE."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.servers import start
from hub.api.operations import shipped_operations
from tests.conftest import PERSONA, Api, connect_to, own_hub
from tests.federation.processes import free_port, hub_command

HEADLINE = next(op.document for op in shipped_operations() if op.name == "PersonStatus")


async def test_livez_answers_and_readyz_names_each_component(api: Api) -> None:
    live = await api.client.get("/livez")
    assert (live.status_code, live.json()) == (200, {"status": "live"})
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready"
    assert {name: part["status"] for name, part in body["components"].items()} == {"database": "ok", "audit": "ok"}


async def test_readyz_is_503_while_the_audit_table_is_held_by_a_lock(api: Api) -> None:
    """The audit record of every read is written before the answer: a locked audit table means
    no request that reads a person can be answered, though every database answers SELECT 1."""
    url = api.hub.db.url
    if api.backend == "sqlite":
        holder: Any = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        holder = await connect_to(url)
        await holder.execute("BEGIN; LOCK TABLE audit_trail IN ACCESS EXCLUSIVE MODE")
    try:
        held = await api.client.get("/readyz")
    finally:
        if api.backend == "sqlite":
            holder.execute("ROLLBACK")
            holder.close()
        else:
            await holder.execute("ROLLBACK")
            await holder.close()
    assert held.status_code == 503, held.text
    components = held.json()["components"]
    assert components["audit"]["status"] == "down" and components["database"]["status"] == "ok"
    assert (await api.client.get("/readyz")).status_code == 200


async def test_readyz_names_redis_when_configured_and_is_503_when_it_is_down(tmp_path: Path) -> None:
    async with own_hub(tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0") as (_, client):
        response = await client.get("/readyz")
    assert response.status_code == 503
    components = response.json()["components"]
    assert components["redis"]["status"] == "down"
    assert components["database"]["status"] == components["audit"]["status"] == "ok"


def test_sigterm_finishes_requests_within_the_grace_and_answers_the_rest_503(tmp_path: Path) -> None:
    """Passports is switched to answer after 8 s, traffic after 1.5 s, the grace is 2 s, SIGTERM
    comes 1 s after both requests: the one reading passports is still running when the grace ends
    (503); the one reading traffic finishes (200); a new connection after SIGTERM is refused; the
    process is gone soon after the grace."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RABT_")}
    env |= {
        "RABT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}",
        "RABT_DATA_DIR": str(tmp_path),
        "RABT_SEED_PEOPLE": "30",
        "RABT_MODE": "demo",
        "RABT_FAULTS": "passports=delay:8s,traffic=delay:1.5s",
        "RABT_SECTOR_BUDGET": "30",
        "RABT_REQUEST_DEADLINE": "30",
        "RABT_SHUTDOWN_GRACE": "2",
        "RABT_TOKEN_PRIVATE_KEY": os.environ["RABT_TOKEN_PRIVATE_KEY"],
    }
    server = start(
        "shutdown",
        hub_command("serve", "--port", str(port), "--log-level", "warning"),
        env,
        f"http://127.0.0.1:{port}/livez",
        tmp_path / "hub.log",
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        token = subprocess.run(
            hub_command("token", "individual", PERSONA["absconding_worker"]),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        headers = {"authorization": f"Bearer {token}"}
        answers: dict[str, httpx.Response | Exception] = {}
        ready = threading.Barrier(3)

        def ask(name: str, query: str) -> None:
            body = {"query": query, "variables": {"id": PERSONA["absconding_worker"]}}
            with httpx.Client(timeout=30) as client:
                ready.wait()
                try:
                    answers[name] = client.post(url, json=body, headers=headers)
                except httpx.TransportError as error:
                    answers[name] = error

        short = "query($id: ID!) { person(id: $id) { id traffic { accidentReports { reportNumber } } } }"
        threads = [
            threading.Thread(target=ask, args=("long", HEADLINE)),
            threading.Thread(target=ask, args=("short", short)),
        ]
        for thread in threads:
            thread.start()
        ready.wait()
        time.sleep(1.0)
        os.killpg(server.process.pid, signal.SIGTERM)
        signalled = time.monotonic()
        time.sleep(0.3)
        try:
            refused = httpx.get(f"http://127.0.0.1:{port}/livez", timeout=2).status_code
        except httpx.TransportError:
            refused = None
        for thread in threads:
            thread.join(timeout=30)
        server.process.wait(timeout=30)
        gone = time.monotonic() - signalled
    finally:
        server.stop()
    assert refused is None, "a new connection was accepted after SIGTERM"
    short, long = answers["short"], answers["long"]
    assert isinstance(short, httpx.Response) and isinstance(long, httpx.Response), answers
    assert short.status_code == 200 and "errors" not in short.json()
    assert long.status_code == 503, long.text
    assert long.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert long.headers["retry-after"]
    print(f"\nshutdown: exited {gone:.2f} s after SIGTERM (grace 2 s)")
