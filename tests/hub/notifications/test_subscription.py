"""The push, across workers: a subscriber on one hub process hears, over graphql-transport-ws, the
notice a mutation on ANOTHER hub instance kept, the two sharing only the database and Redis.
Also the protocol's refusals: a bad token closes the socket, so does a token whose session another
process ended, and an anonymous subscription is refused; a subscriber hanging up logs no error."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from hub.accounts.models import REVOCATIONS
from hub.accounts.revocations import INTERVAL
from hub.contract.principal import Principal, Role
from hub.data.db import Database
from hub.settings import Settings
from hub.web.app import create_app
from hub.web.hub import Hub
from tests.conftest import PERSONA, REDIS_URL, individual, service_unavailable
from tests.sectors.civil_affairs.test_civil_affairs import ADDRESS, UPDATE
from tests.served import served

pytestmark = pytest.mark.redis

SUBSCRIBE = "subscription { notifications { kind sector messageEn messageAr createdAt } }"
PROTOCOL = "graphql-transport-ws"


def _served(hub: Hub, settings: Settings) -> contextlib.AbstractAsyncContextManager[int]:
    """Worker A: the hub under uvicorn on a free loopback port (its start migrates and seeds)."""
    return served(create_app(settings, hub))


def _two_workers(tmp_path: Path) -> Settings:
    """Workers that share only the database and Redis."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}"
    return Settings(database_url=database, data_dir=tmp_path, seed_people=60, seed=7, mode="demo", redis_url=REDIS_URL)


async def _subscribed(redis: Redis, person: str) -> None:
    """Returns once Redis counts a subscriber on the person's channel: worker A listens."""
    channel = f"rabt:notifications:{person}"
    for _ in range(500):
        if dict(await redis.pubsub_numsub(channel)).get(channel.encode(), 0) >= 1:
            return
        await asyncio.sleep(0.02)
    pytest.fail("worker A never subscribed to the person's channel")


def _signed_in(tmp_path: Path, session: str) -> tuple[Hub, Settings, dict[str, Any]]:
    """A hub with no one seeded, and the connection_init of a token of that session."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}", data_dir=tmp_path, seed_people=0)
    hub = Hub.build(settings)
    token = hub.signer.issue(Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"], session=session))  # type: ignore[union-attr]
    return hub, settings, {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}


async def _ended_elsewhere(db: Database, session: str) -> None:
    """Another worker's sign-out: a revocation row this process has not been told of, read by it
    once its feed's interval has passed."""
    async with db.transaction() as writing:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        await writing.execute(REVOCATIONS.insert().values(session_id=session, until=until))
    await asyncio.sleep(INTERVAL)


async def _redis() -> Redis:
    redis: Redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except (RedisConnectionError, OSError) as error:
        service_unavailable(f"Redis at {REDIS_URL}", error)
    return redis


async def _send(socket: Any, message: dict[str, Any]) -> None:
    await socket.send(orjson.dumps(message).decode())  # a text frame, as graphql-ws sends


async def _message(socket: Any) -> dict[str, Any]:
    return orjson.loads(await asyncio.wait_for(socket.recv(), 10))  # type: ignore[no-any-return]


async def test_a_subscriber_hears_a_mutation_made_in_another_worker(tmp_path: Path) -> None:
    redis = await _redis()
    settings = _two_workers(tmp_path)
    person = PERSONA["sponsor"]
    hub_a = Hub.build(settings)
    token = hub_a.signer.issue(individual(person))  # type: ignore[union-attr]
    async with _served(hub_a, settings) as port:
        hub_b = Hub.build(settings)  # worker B: its own app, its own bus, the same database and Redis
        app_b = create_app(settings, hub_b)
        async with (
            app_b.router.lifespan_context(app_b),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app_b), base_url="http://rabt.test") as worker_b,
            websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=[PROTOCOL]) as socket,
        ):
            await _send(socket, ({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
            assert await _message(socket) == {"type": "connection_ack"}
            await _send(socket, ({"id": "n1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
            await _subscribed(redis, person)

            body = {
                "query": UPDATE,
                "variables": {"input": {**ADDRESS, "personId": person, "shortAddress": "RIYA1234"}},
            }
            response = await worker_b.post("/graphql", json=body, headers={"authorization": f"Bearer {token}"})
            assert response.json()["data"]["updateNationalAddress"]["__typename"] == "NationalAddressUpdated"

            pushed = await _message(socket)
            assert pushed["id"] == "n1" and pushed["type"] == "next", pushed
            notice = pushed["payload"]["data"]["notifications"]
            assert (notice["kind"], notice["sector"]) == ("SERVICE_COMPLETED", "civil_affairs")
            assert "RIYA1234" in notice["messageEn"] and "RIYA1234" in notice["messageAr"]
            await _send(socket, ({"id": "n1", "type": "complete"}))
    await redis.aclose()


async def test_the_protocol_refuses_bad_tokens_and_anonymous_subscribers(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}", data_dir=tmp_path, seed_people=0)
    hub = Hub.build(settings)
    async with _served(hub, settings) as port:
        url = f"ws://127.0.0.1:{port}/graphql"
        async with websockets.connect(url, subprotocols=[PROTOCOL]) as socket:
            await _send(socket, ({"type": "connection_init", "payload": {"authorization": "Bearer nope"}}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await socket.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        async with websockets.connect(url, subprotocols=[PROTOCOL]) as socket:
            await _send(socket, ({"type": "connection_init"}))
            assert await _message(socket) == {"type": "connection_ack"}
            await _send(socket, ({"id": "a", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
            refused = await _message(socket)
            assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            await _send(socket, ({"id": "q", "type": "subscribe", "payload": {"query": "{ __typename }"}}))
            assert (await _message(socket))["payload"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_session_ended_in_another_process_opens_no_subscription(tmp_path: Path) -> None:
    session = "5e55104" * 4
    hub, settings, init = _signed_in(tmp_path, session)
    async with _served(hub, settings) as port:
        url = f"ws://127.0.0.1:{port}/graphql"
        async with websockets.connect(url, subprotocols=[PROTOCOL]) as socket:
            await _send(socket, init)
            assert await _message(socket) == {"type": "connection_ack"}
        await _ended_elsewhere(hub.db, session)
        async with websockets.connect(url, subprotocols=[PROTOCOL]) as socket:
            await _send(socket, init)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await socket.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_subscriber_who_hangs_up_ends_the_connection_without_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Hanging up with subscriptions running is how every subscriber leaves: the hub ends them and
    logs no error (a caller who could make the hub log an ERROR at will could flood its alerts)."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}", data_dir=tmp_path, seed_people=0)
    hub = Hub.build(settings)
    token = hub.signer.issue(Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"]))  # type: ignore[union-attr]
    uvicorn_errors = logging.getLogger("uvicorn.error")
    try:
        async with _served(hub, settings) as port:
            # uvicorn's loggers do not propagate to the root's, and its start configures them anew.
            uvicorn_errors.addHandler(caplog.handler)
            async with websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=[PROTOCOL]) as socket:
                await _send(socket, {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
                assert await _message(socket) == {"type": "connection_ack"}
                for operation in ("a", "b"):
                    await _send(socket, {"id": operation, "type": "subscribe", "payload": {"query": SUBSCRIBE}})
                await _send(socket, {"type": "ping"})
                assert await _message(socket) == {"type": "pong"}  # both subscriptions are running
    finally:  # held until the server has ended every connection's handler
        uvicorn_errors.removeHandler(caplog.handler)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []


async def test_a_session_ended_elsewhere_gets_no_more_pushes(tmp_path: Path) -> None:
    """Checked before each push as at the start: the next notice closes the socket instead."""
    redis = await _redis()
    settings = _two_workers(tmp_path)
    person, session = PERSONA["sponsor"], "5e55104e" * 4
    hub_a = Hub.build(settings)
    signed_in = hub_a.signer.issue(Principal(Role.INDIVIDUAL, person_id=person, session=session))  # type: ignore[union-attr]
    async with _served(hub_a, settings) as port:
        hub_b = Hub.build(settings)
        app_b = create_app(settings, hub_b)
        async with (
            app_b.router.lifespan_context(app_b),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app_b), base_url="http://rabt.test") as worker_b,
            websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=[PROTOCOL]) as socket,
        ):
            await _send(socket, {"type": "connection_init", "payload": {"authorization": f"Bearer {signed_in}"}})
            assert await _message(socket) == {"type": "connection_ack"}
            await _send(socket, {"id": "n1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
            await _subscribed(redis, person)
            await _ended_elsewhere(hub_b.db, session)
            token = hub_b.signer.issue(individual(person))  # type: ignore[union-attr]
            body = {
                "query": UPDATE,
                "variables": {"input": {**ADDRESS, "personId": person, "shortAddress": "RIYA4321"}},
            }
            response = await worker_b.post("/graphql", json=body, headers={"authorization": f"Bearer {token}"})
            assert response.json()["data"]["updateNationalAddress"]["__typename"] == "NationalAddressUpdated"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await _message(socket)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    await redis.aclose()


async def test_sessions_that_cannot_be_read_close_the_socket_saying_so(tmp_path: Path) -> None:
    """The ended sessions are read from the database: when it cannot be read, the socket closes
    with 1011 ("try again") rather than answer a token whose session may have ended."""
    hub, settings, init = _signed_in(tmp_path, "5e55104f" * 4)
    async with _served(hub, settings) as port:
        url = f"ws://127.0.0.1:{port}/graphql"
        async with websockets.connect(url, subprotocols=[PROTOCOL]) as socket:
            await _send(socket, init)
            assert await _message(socket) == {"type": "connection_ack"}
        await hub.db.dispose()
        (tmp_path / "rabt.db").unlink()
        (tmp_path / "rabt.db").mkdir()  # now no database can be opened there
        await asyncio.sleep(INTERVAL)
        async with websockets.connect(url, subprotocols=[PROTOCOL]) as socket:
            await _send(socket, init)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await socket.recv()
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
                1011,
                "Sessions cannot be checked now; try again shortly",
            )
