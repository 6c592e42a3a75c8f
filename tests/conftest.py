"""Shared fixtures: a seeded hub on SQLite and on the real PostgreSQL, and a GraphQL client.

PostgreSQL is named by RABT_TEST_POSTGRES_URL (default: the local server, database `test`).
Each run creates its own database there and drops it afterwards, so parallel runs never meet.
In CI (CI=true) an unreachable PostgreSQL fails the run; elsewhere its tests skip, saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from argon2 import PasswordHasher
from sqlalchemy.engine import URL, make_url

from hub.access.keys import SigningKey
from hub.accounts.hashing import PasswordHashing
from hub.contract.calendar import riyadh_today
from hub.contract.population import PERSONAS
from hub.contract.principal import ANONYMOUS, Principal, Role
from hub.data.asyncpg_pool import connect_arguments
from hub.migrations import components, upgrade
from hub.settings import Settings
from hub.web.app import create_app
from hub.web.hub import Hub

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("RABT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("RABT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_PEOPLE = 1_500
TODAY = riyadh_today()
"""The one "today" of a test run: every hub the tests build decides its rules on it (`Hub.today`), so
expectations computed from it hold even when the run crosses midnight."""

PERSONA = {persona.key: persona.id for persona in PERSONAS}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`-m "not postgres"` leaves out every test that reads the seeded PostgreSQL hub directly too."""
    for item in items:
        if "postgres_api" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def fixed_today() -> dt.date:
    return TODAY


CHEAP_PASSWORDS = PasswordHashing(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
"""argon2id at its least cost: the tests are about the rules around a password's hash, and the
default's three passes over 64 MiB cost tenths of a second a hash on a small machine
(tests/hub/accounts/test_passwords.py checks the default on a hub built from its settings)."""


def built_hub(settings: Settings) -> Hub:
    """A hub as the tests build it: on the run's "today", hashing passwords cheaply."""
    hub = Hub.build(settings)
    hub.today = fixed_today
    if hub.accounts is not None:
        hub.accounts.passwords = CHEAP_PASSWORDS
    return hub


def service_unavailable(what: str, error: BaseException) -> None:
    """A missing service fails the run in CI and skips (with the reason) on a machine without it."""
    message = f"{what} is not reachable ({type(error).__name__}: {error})"
    if IN_CI:
        pytest.fail(f"{message}; CI must provide it", pytrace=False)
    pytest.skip(f"{message}; set it up to run these tests")


async def connect_to(url: str | URL, **options: Any) -> asyncpg.Connection:
    """An asyncpg connection to a PostgreSQL database named by a SQLAlchemy URL (driver ignored)."""
    return await asyncpg.connect(**connect_arguments(make_url(url) if isinstance(url, str) else url), **options)


@contextlib.asynccontextmanager
async def connected(url: str | URL, **options: Any) -> AsyncIterator[asyncpg.Connection]:
    """`connect_to`, closed on the way out."""
    connection = await connect_to(url, **options)
    try:
        yield connection
    finally:
        await connection.close()


async def _create_postgres_database() -> str:
    url = make_url(POSTGRES_URL)
    name = f"rabt_test_{uuid.uuid4().hex[:12]}"
    async with connected(url, timeout=5) as connection:
        await connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(test_url: str) -> None:
    async with connected(POSTGRES_URL) as connection:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(test_url).database}" WITH (FORCE)')


@dataclass
class StatementCounter:
    count: int = 0
    statements: list[str] = field(default_factory=list)
    stop: Callable[[], None] = lambda: None

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        self.statements.append(statement)


@dataclass
class Api:
    """A GraphQL client for one seeded hub, speaking HTTP to it in-process (ASGI)."""

    hub: Hub
    client: httpx.AsyncClient
    backend: str

    def token(self, principal: Principal) -> str:
        return self.hub.signer.issue(principal)

    def headers(self, as_: Principal, purpose: str | None = "testing") -> dict[str, str]:
        if as_.role is Role.ANONYMOUS:
            return {}
        headers = {"authorization": f"Bearer {self.token(as_)}"}
        if purpose:
            headers["x-purpose"] = purpose
        if as_.on_behalf_of:  # a header beside the token, never a claim in it
            headers["x-on-behalf-of"] = as_.on_behalf_of
        return headers

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: Principal = ANONYMOUS,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.client.post("/graphql", json=body, headers={**self.headers(as_), **(headers or {})})

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: Principal = ANONYMOUS
    ) -> dict[str, Any]:
        response = await self.post(query, variables, as_=as_)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def count_statements(self) -> StatementCounter:
        counter = StatementCounter()
        counter.stop = self.hub.db.on_statement(counter)
        return counter

    def stop_counting(self, counter: StatementCounter) -> None:
        counter.stop()


def individual(key_or_id: str) -> Principal:
    return Principal(Role.INDIVIDUAL, person_id=PERSONA.get(key_or_id, key_or_id))


def officer(sector: str) -> Principal:
    return Principal(Role.OFFICER, person_id="1000000008", sector=sector)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rabt-data")


@pytest.fixture(scope="session", autouse=True)
def _secrets_from_env() -> Iterator[None]:
    # Tests never touch a developer's var/secrets.json: they bring their own secrets.
    names = ("RABT_TOKEN_PRIVATE_KEY", "RABT_OTP_PEPPER", "RABT_GATEWAY_HMAC_SECRET")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["RABT_TOKEN_PRIVATE_KEY"] = SigningKey.generate().to_pem()
    os.environ["RABT_OTP_PEPPER"] = uuid.uuid4().hex * 2
    os.environ["RABT_GATEWAY_HMAC_SECRET"] = uuid.uuid4().hex * 2
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


async def migrated(settings: Settings, hub: Hub) -> None:
    """What an operator runs before the hub's first start; the embedded demo migrates itself."""
    if not settings.migrates_itself:
        await upgrade(settings.database_url, components(hub.sectors))


@contextlib.asynccontextmanager
async def own_hub(tmp_path: Path, **settings_given: Any) -> AsyncIterator[tuple[Hub, httpx.AsyncClient]]:
    """A started hub on a SQLite file of the test's own (for tests that change its settings or break
    its database), and a client that receives the app's error responses rather than its exceptions."""
    settings = Settings(
        **{"database_url": f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}", "data_dir": tmp_path, "seed_people": 0}
        | settings_given
    )
    hub = built_hub(settings)
    await migrated(settings, hub)
    app = create_app(settings, hub)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://rabt.test") as client:
            yield hub, client


async def _seeded_api(url: str, backend: str, data_dir: Path) -> AsyncIterator[Api]:
    # The demo on either database, so GraphiQL's demo callers and their tokens are there on both.
    settings = Settings(database_url=url, data_dir=data_dir, seed_people=TEST_PEOPLE, seed=2026, mode="demo")
    hub = built_hub(settings)
    await migrated(settings, hub)
    app = create_app(settings, hub)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rabt.test") as client:
            yield Api(hub=hub, client=client, backend=backend)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sqlite_api(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> AsyncIterator[Api]:
    path = tmp_path_factory.mktemp("sqlite") / "rabt.db"
    async for api in _seeded_api(f"sqlite+aiosqlite:///{path}", "sqlite", data_dir):
        yield api


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_api(data_dir: Path) -> AsyncIterator[Api]:
    try:
        url = await asyncio.wait_for(_create_postgres_database(), timeout=10)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        service_unavailable(f"PostgreSQL at {POSTGRES_URL}", error)
    try:
        async for api in _seeded_api(url, "postgres", data_dir):
            yield api
    finally:
        await _drop_postgres_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own with nothing in it, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}"
        return
    try:
        url = asyncio.run(_create_postgres_database())
    except (OSError, asyncpg.PostgresError) as error:
        service_unavailable("PostgreSQL", error)
    try:
        yield url
    finally:
        asyncio.run(_drop_postgres_database(url))


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest) -> Api:
    """The seeded hub, once on SQLite and once on PostgreSQL: tests using it run on both."""
    return request.getfixturevalue(f"{request.param}_api")  # type: ignore[no-any-return]
