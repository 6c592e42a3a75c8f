"""What one app opens beside its hub, and its startup and shutdown: the databases brought to their
migrations (or checked) and seeded, the collector settled, the audit index caught up, and on the
way out everything closed in turn."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from starlette.applications import Starlette

from hub.accounts.ratelimit import RateLimiter
from hub.api.relay import SectorRelay
from hub.api.schema import IDENTITY_SUBGRAPH
from hub.audit.index import SubjectIndexer
from hub.audit.writer import AuditWriter
from hub.data.secrets_store import load_secrets
from hub.migrations import check, components, placed, upgrade
from hub.notifications.bus import Bus, bus_for
from hub.seed import seed
from hub.settings import Settings
from hub.web.gateway_signature import GatewaySignature
from hub.web.http import GraphQLEndpoint
from hub.web.hub import Hub
from hub.web.peer_checks import PeerChecks, peer_checks
from hub.web.shutdown import on_shutdown_signal

log = logging.getLogger("rabt")


def limiter_for(settings: Settings) -> RateLimiter:
    """Windows shared by every worker through RABT_REDIS_URL, or this process's own."""
    return RateLimiter.redis(settings.redis_url) if settings.redis_url else RateLimiter.in_memory()


@dataclass(frozen=True)
class Resources:
    """What one app holds open beside its hub, and closes when it stops."""

    audit: AuditWriter
    relay: SectorRelay
    bus: Bus
    indexer: SubjectIndexer | None
    own_limiter: RateLimiter | None
    signature: GatewaySignature | None  # a subgraph's: the deployment's secret, its callers sign with
    peers: PeerChecks | None

    @classmethod
    def open(cls, settings: Settings, hub: Hub) -> Resources:
        # The per-person index follows the records in bulk where this part may read them (a sector's
        # role appends records and reads none): the all-in-one hub and the identity subgraph.
        indexer = SubjectIndexer(hub.db) if hub.subgraph in (None, IDENTITY_SUBGRAPH) else None
        audit = AuditWriter(hub.db, on_append=indexer.nudge if indexer is not None else None)
        bus = bus_for(settings.redis_url)  # every worker's subscriptions hear every worker's notices
        relay = SectorRelay(hub.db, hub.stores.own_databases(), bus=bus)  # sectors apart: their writes' records
        # Public inquiries count in the accounts' windows where people sign in, else in the part's own.
        own_limiter = None if hub.accounts is not None else limiter_for(settings)
        # Only the gateway calls a subgraph (and the other parts, on /checks); the hub answers front ends.
        signature = (
            GatewaySignature(load_secrets(settings.data_dir)["RABT_GATEWAY_HMAC_SECRET"])
            if hub.subgraph is not None
            else None
        )
        peers = peer_checks(hub.sectors, hub.subgraph, settings, signature)
        return cls(
            audit=audit,
            relay=relay,
            bus=bus,
            indexer=indexer,
            own_limiter=own_limiter,
            signature=signature,
            peers=peers,
        )


def lifespan(
    settings: Settings, hub: Hub, resources: Resources, endpoint: GraphQLEndpoint
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The app's lifespan: started before the first request; a shutdown signal from then on lets
    the requests in flight finish within RABT_SHUTDOWN_GRACE."""

    @contextlib.asynccontextmanager
    async def run(_: Starlette) -> AsyncIterator[None]:
        await _start(settings, hub, resources)
        restore_signals = on_shutdown_signal(lambda: endpoint.shut_down(settings.shutdown_grace))
        yield
        restore_signals()
        await _stop(hub, resources)

    return run


async def _start(settings: Settings, hub: Hub, resources: Resources) -> None:
    await _prepare_databases(settings, hub)
    if hub.accounts is not None:
        await hub.accounts.passwords.warm()
    _settle_collector()
    if resources.indexer is not None:
        await resources.indexer.catch_up()  # what a killed process left unindexed, before the first request
        resources.indexer.start()
    await resources.relay.catch_up()  # the audit records a killed process left in sectors' outboxes
    resources.relay.start()


async def _prepare_databases(settings: Settings, hub: Hub) -> None:
    """Every database at its migrations' heads (brought there where the hub migrates itself, else
    checked), then seeded where RABT_SEED_PEOPLE asks for people."""
    found = components(hub.sectors)
    urls = settings.sector_database_urls([sector.name for sector in hub.sectors])
    for url, held in placed(settings.database_url, found, urls):
        if settings.migrates_itself:
            await upgrade(url, held, progress=lambda line: log.info("migrate: %s", line))
        else:
            await check(url, held)
    if settings.seed_people > 0:
        await seed(
            hub.db,
            hub.sectors,
            people=settings.seed_people,
            seed_value=settings.seed,
            today=hub.today(),
            progress=lambda line: log.info("seed: %s", line),
            databases=hub.stores.own_databases(),
        )


def _settle_collector() -> None:
    # Everything built so far lives as long as the process: keep the collector from walking it
    # again and again (measured +26-36 % throughput on this request path).
    gc.collect()
    gc.freeze()
    # A wide answer (100 people) allocates a great many short-lived objects; with the default
    # threshold the collector ran gen-2 passes of ~130 ms under load (measured: people x100
    # at 32 concurrent went from 3.4 to 8.9 requests/s with these thresholds).
    gc.set_threshold(50_000, 20, 100)


async def _stop(hub: Hub, resources: Resources) -> None:
    if hub.accounts is not None:
        await hub.accounts.aclose()
    if resources.own_limiter is not None:
        await resources.own_limiter.aclose()
    await resources.bus.aclose()
    if resources.peers is not None:
        await resources.peers.aclose()
    await resources.audit.aclose()
    if resources.indexer is not None:
        await resources.indexer.aclose()
    await resources.relay.aclose()
    await hub.stores.dispose()
    await hub.db.dispose()
