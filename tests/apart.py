"""A hub whose one sector keeps its data in a PostgreSQL database of its own: each a fresh database,
migrated where each component lives, served in process with its lifespan (relay, indexer) running."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from hub.contract.principal import Principal
from hub.data.db import Database
from hub.migrations import components, placed, upgrade
from hub.settings import Settings
from hub.web.app import create_app
from hub.web.hub import Hub
from tests.conftest import _create_postgres_database, _drop_postgres_database, built_hub, service_unavailable


@dataclass
class Apart:
    hub: Hub
    client: httpx.AsyncClient
    sector_db: Database
    hub_url: str
    sector_url: str
    sector: str

    @property
    def env(self) -> dict[str, str]:
        """The environment a `python -m hub` command needs to find both databases."""
        found = {k: v for k, v in os.environ.items() if not k.startswith("RABT_")}
        return found | {"RABT_DATABASE_URL": self.hub_url, f"RABT_{self.sector.upper()}_DATABASE_URL": self.sector_url}

    async def ask(self, query: str, caller: Principal, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        token = self.hub.signer.issue(caller)  # type: ignore[union-attr]
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers={"authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


@asynccontextmanager
async def hub_with_sector_apart(sector: str, data_dir: Path) -> AsyncIterator[Apart]:
    try:
        hub_url, sector_url = await _create_postgres_database(), await _create_postgres_database()
    except OSError as error:
        service_unavailable("PostgreSQL", error)
    try:
        settings = Settings(
            database_url=hub_url, sector_databases={sector: sector_url}, data_dir=data_dir, seed_people=50, mode="demo"
        )
        hub = built_hub(settings)
        for url, held in placed(settings.database_url, components(hub.sectors), settings.sector_databases):
            await upgrade(url, held)
        app = create_app(settings, hub)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://rabt.test", timeout=60) as client:
                yield Apart(hub, client, hub.stores.database(sector), hub_url, sector_url, sector)
    finally:
        await _drop_postgres_database(hub_url)
        await _drop_postgres_database(sector_url)
