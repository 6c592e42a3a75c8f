"""The ASGI application: /graphql (API and GraphiQL), /healthz, and GraphiQL's own assets."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from hub.access.keys import BadKey, jwks, load_signing_key, read_jwks
from hub.access.tokens import PublicKeys, TokenIssuer, TokenVerifier
from hub.accounts.ratelimit import RateLimiter
from hub.accounts.revocations import RevocationFeed
from hub.accounts.services import AccountServices, build_account_services
from hub.api.compiled import CompiledPath
from hub.api.federation import FIRST_SUBGRAPH_PORT
from hub.api.operations import shipped_operations, trusted_documents
from hub.api.persisted import PersistedQueries
from hub.api.relay import SectorRelay
from hub.api.schema import IDENTITY_SUBGRAPH, RabtSchema, schema_for
from hub.audit.index import SubjectIndexer
from hub.audit.writer import AuditWriter
from hub.contract import Check, RelationSource, Sector
from hub.contract.calendar import riyadh_today
from hub.contract.population import PERSONAS
from hub.data.db import Database
from hub.data.secrets_store import load_secrets
from hub.data.sectors import Stores, parse_faults
from hub.migrations import check, components, placed, upgrade
from hub.notifications.bus import bus_for
from hub.registry import enabled_sectors
from hub.seed import seed
from hub.settings import Settings, SettingsError
from hub.telemetry import logs, metrics, traces
from hub.web.demo import TOKEN_PATH, DemoTokens, demo_callers
from hub.web.gateway_signature import GatewaySignature
from hub.web.graphiql import BOOT_SCRIPT_CSP_HASH, Tab, graphiql_page
from hub.web.health import endpoints
from hub.web.http import GraphQLEndpoint, request_id_of
from hub.web.observed import Observed
from hub.web.peer_checks import part_routes, peer_checks
from hub.web.shutdown import on_shutdown_signal
from hub.web.subscriptions import SubscriptionEndpoint

log = logging.getLogger("rabt")
STATIC = Path(__file__).parent / "static" / "vendor"
JWKS_PATH = "/.well-known/jwks.json"
DEMO_JWKS_URL = f"http://127.0.0.1:{FIRST_SUBGRAPH_PORT}{JWKS_PATH}"
"""Where a subgraph that does not sign fetches token keys on the embedded demo: the local identity subgraph."""


@dataclass
class Hub:
    """Everything one running hub holds, built once from settings (tests build their own)."""

    settings: Settings
    db: Database
    sectors: tuple[Sector, ...]
    schema: RabtSchema
    signer: TokenIssuer | None  # only where people sign in: the all-in-one hub and the identity subgraph
    verifier: TokenVerifier
    accounts: AccountServices | None
    revocations: RevocationFeed  # sessions ended by other processes, read into `verifier`
    stores: Stores  # each sector's database, budget and fault
    subgraph: str | None = None
    today: Callable[[], dt.date] = riyadh_today
    """Where the seed, the access policy and every service's rules read "today": tests fix it, so a
    run across midnight decides every rule on the same day its expectations were computed for."""

    @classmethod
    def build(cls, settings: Settings, *, subgraph: str | None = None) -> Hub:
        """The all-in-one hub, or (with `subgraph`) one federation subgraph: `identity` or a sector.

        Every shape keeps every enabled sector's relation sources: a guardian's right to read a
        minor's traffic records is decided from civil affairs' data, whichever subgraph answers.
        """
        sectors = enabled_sectors(settings.sectors)
        budgets = settings.budgets()
        db = Database(settings.database_url, budgets)
        stores = Stores(
            db,
            sectors,
            urls=settings.sector_database_urls([sector.name for sector in sectors]),
            faults=parse_faults(settings.faults),
            budget=settings.sector_budget,
            budgets=budgets,
        )
        signs = subgraph in (None, IDENTITY_SUBGRAPH)  # where people sign in, and statistics are served
        signer, verifier = token_keys(settings, signs=signs)
        statistics_key = load_secrets(settings.data_dir)["RABT_STATISTICS_KEY"].encode() if signs else None
        return cls(
            settings=settings,
            db=db,
            sectors=sectors,
            schema=schema_for(sectors, subgraph, statistics_key),
            signer=signer,
            verifier=verifier,
            accounts=build_account_services(settings, db, signer, verifier) if signer is not None else None,
            revocations=RevocationFeed(db, verifier),
            stores=stores,
            subgraph=subgraph,
        )

    def jwks(self) -> dict[str, Any] | None:
        """The public keys this hub publishes: a signer's own and those it accepts besides (a
        rotation's next or previous key); None where nobody signs in."""
        if self.signer is None:
            return None
        keys = self.verifier.keys
        return jwks(key for kid in sorted(keys.kids()) if (key := keys.get(kid)) is not None)

    def relation_sources(self) -> Sequence[tuple[str, RelationSource]]:
        return [(sector.name, source) for sector in self.sectors for source in sector.relations]

    def checks(self) -> Mapping[str, Check]:
        """The checks this part answers from its own data, by name: every enabled sector's in the
        all-in-one hub; a subgraph asks the other sectors' of their subgraphs (`hub.web.peer_checks`)."""
        if self.subgraph is not None:
            return {
                check.name: check for sector in self.sectors if sector.name == self.subgraph for check in sector.checks
            }
        return {check.name: check for sector in self.sectors for check in sector.checks}


def token_keys(settings: Settings, *, signs: bool) -> tuple[TokenIssuer | None, TokenVerifier]:
    """The signer (where people sign in) and the verifier of access tokens. The verifier accepts
    the signer's own key, the keys of RABT_TOKEN_PUBLIC_KEYS, and those RABT_TOKEN_JWKS_URL
    publishes; a part that does not sign and is given neither fetches the local identity
    subgraph's on the embedded demo, and refuses to start in production."""
    try:
        fixed = read_jwks(settings.token_public_keys) if settings.token_public_keys else {}
    except BadKey as error:
        raise SettingsError(f"RABT_TOKEN_PUBLIC_KEYS: {error}") from None
    signer = None
    if signs:
        try:
            key = load_signing_key(settings.data_dir, os.environ, generate=not settings.is_production)
        except BadKey as error:
            raise SettingsError(str(error)) from None
        signer = TokenIssuer(key)
        fixed[key.kid] = key.public
    url = settings.token_jwks_url
    if not fixed and url is None:
        if settings.is_production:
            raise SettingsError("RABT_TOKEN_JWKS_URL or RABT_TOKEN_PUBLIC_KEYS: the identity's public token keys")
        url = DEMO_JWKS_URL
    return signer, TokenVerifier(PublicKeys(fixed, url))


def limiter_for(settings: Settings) -> RateLimiter:
    """Windows shared by every worker through RABT_REDIS_URL, or this process's own."""
    return RateLimiter.redis(settings.redis_url) if settings.redis_url else RateLimiter.in_memory()


def graphiql_tabs() -> list[Tab]:
    """One tab per shipped operation, the headline first, with variables that suit its caller."""
    persona = {p.key: p.id for p in PERSONAS}
    variables = {
        "PersonStatus": {"id": persona["absconding_worker"]},
        "PeopleStatus": {"ids": [persona["absconding_worker"], persona["sponsor"], persona["visitor"]]},
        "SponsorWorkers": {"id": persona["sponsor"]},
        "IssueExitReentryVisa": {"input": {"personId": persona["absconding_worker"], "kind": "SINGLE", "days": 30}},
        "Statistics": {"sector": "passports"},
    }
    return [
        Tab(
            op.title,
            op.document,
            orjson.dumps(variables.get(op.name, {}), option=orjson.OPT_INDENT_2).decode(),
            op.caller,
        )
        for op in sorted(shipped_operations(), key=lambda op: (op.name != "PersonStatus", op.name))
    ]


def create_app(settings: Settings, hub: Hub | None = None) -> HubApp:
    hub = hub or Hub.build(settings)
    # Demo callers and their tokens only on the demo: in production mode the route is not mounted.
    callers = () if settings.is_production or hub.signer is None else demo_callers(hub.sectors)
    page = (
        graphiql_page(
            endpoint="/graphql",
            static_prefix="/static/graphiql",
            tabs=graphiql_tabs(),
            callers=[(caller.key, caller.label) for caller in callers],
            token_url=TOKEN_PATH if callers else None,
        )
        if settings.graphiql and hub.subgraph is None
        else None
    )
    compiled = (
        CompiledPath(
            hub.schema,
            hub.db,
            hub.relation_sources(),
            hub.sectors,
            trusted_documents=settings.trusted_documents,
            capacity=settings.plan_cache,
            plan_text_after=settings.plan_text_after,
            today=lambda: hub.today(),
            stores=hub.stores,
        )
        if settings.compiled
        else None
    )
    # The per-person index follows the records in bulk where this part may read them (a sector's
    # role appends records and reads none): the all-in-one hub and the identity subgraph.
    indexer = SubjectIndexer(hub.db) if hub.subgraph in (None, IDENTITY_SUBGRAPH) else None
    audit = AuditWriter(hub.db, on_append=indexer.nudge if indexer is not None else None)
    relay = SectorRelay(hub.db, hub.stores.own_databases())  # sectors apart: their writes' records
    # Public inquiries count in the accounts' windows where people sign in, else in the part's own.
    own_limiter = None if hub.accounts is not None else limiter_for(settings)
    bus = bus_for(settings.redis_url)  # every worker's subscriptions hear every worker's notices
    # Only the gateway calls a subgraph (and the other parts, on /checks); the hub answers front ends.
    signature = (
        GatewaySignature(load_secrets(settings.data_dir)["RABT_GATEWAY_HMAC_SECRET"])
        if hub.subgraph is not None
        else None
    )
    peers = peer_checks(hub.sectors, hub.subgraph, settings, signature)
    endpoint = GraphQLEndpoint(
        schema=hub.schema,
        db=hub.db,
        access_sources=hub.relation_sources(),
        verifier=hub.verifier,
        audit=audit,
        persisted=PersistedQueries(trusted=trusted_documents() if settings.trusted_documents else None),
        graphiql=page,
        accounts=hub.accounts,
        revocations=hub.revocations,
        max_in_flight=settings.max_in_flight,
        compiled=compiled,
        checks=hub.checks(),
        peers=peers,
        gateway=signature,
        trusted_proxies=settings.trusted_proxies,
        limiter=hub.accounts.limiter if hub.accounts is not None else own_limiter,
        today=lambda: hub.today(),
        bus=bus,
        stores=hub.stores,
        deadline=settings.request_deadline,
        retry_after=settings.retry_after,
    )
    subscriptions = (
        [
            WebSocketRoute(
                "/graphql",
                SubscriptionEndpoint(
                    schema=hub.schema,
                    db=hub.db,
                    access_sources=hub.relation_sources(),
                    verifier=hub.verifier,
                    audit=audit,
                    bus=bus,
                    today=lambda: hub.today(),
                ).handle,
            )
        ]
        if hub.schema.subscription is not None
        else []
    )
    published = hub.jwks()
    metrics.name_operations(op.name for op in shipped_operations())
    metrics.name_sectors(sector.name for sector in hub.sectors)
    traces.configure(f"rabt-{hub.subgraph or 'hub'}", settings.otlp_endpoint)
    observed = Observed(metrics_from=settings.metrics_networks, pool_use=hub.db.pool_use, request_id=request_id_of)

    async def graphql(request: Request) -> Response:
        response = await endpoint(request)
        if response.media_type == "text/html":
            response.headers["content-security-policy"] = (
                f"default-src 'self'; script-src 'self' {BOOT_SCRIPT_CSP_HASH}; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; font-src 'self' data:"
            )
        return response

    livez, readyz = endpoints(hub.stores, settings.redis_url, lambda: endpoint.closing)

    async def healthz(_: Request) -> Response:
        await hub.db.ping()
        return JSONResponse({"status": "ok", "sectors": [sector.name for sector in hub.sectors]})

    async def jwks_document(_: Request) -> Response:
        if published is None:
            return JSONResponse({"error": "this part signs no tokens"}, status_code=404)
        return JSONResponse(published, headers={"cache-control": "public, max-age=300"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
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
        # Everything built so far lives as long as the process: keep the collector from walking it
        # again and again (measured +26-36 % throughput on this request path).
        gc.collect()
        gc.freeze()
        # A wide answer (100 people) allocates a great many short-lived objects; with the default
        # threshold the collector ran gen-2 passes of ~130 ms under load (measured: people x100
        # at 32 concurrent went from 3.4 to 8.9 requests/s with these thresholds).
        gc.set_threshold(50_000, 20, 100)
        if indexer is not None:
            await indexer.catch_up()  # what a killed process left unindexed, before the first request
            indexer.start()
        await relay.catch_up()  # the audit records a killed process left in sectors' outboxes
        relay.start()
        restore_signals = on_shutdown_signal(lambda: endpoint.shut_down(settings.shutdown_grace))
        yield
        restore_signals()
        if hub.accounts is not None:
            await hub.accounts.aclose()
        if own_limiter is not None:
            await own_limiter.aclose()
        await bus.aclose()
        if peers is not None:
            await peers.aclose()
        await audit.aclose()
        if indexer is not None:
            await indexer.aclose()
        await relay.aclose()
        await hub.stores.dispose()
        await hub.db.dispose()

    demo = (
        [Route(TOKEN_PATH, DemoTokens(callers, hub.signer, hub.accounts.limiter).issue, methods=["POST"])]
        if callers and hub.signer is not None and hub.accounts is not None
        else []
    )
    return HubApp(
        graphql,
        observed,
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            *subscriptions,
            Route("/healthz", healthz, methods=["GET"]),
            Route("/livez", livez, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route(JWKS_PATH, jwks_document, methods=["GET"]),
            *part_routes(hub.sectors, hub.subgraph, signature, hub.db, hub.stores, peers, lambda: hub.today()),
            Mount("/static/graphiql", app=StaticFiles(directory=STATIC), name="graphiql"),
            *demo,
        ],
        lifespan=lifespan,
        exception_handlers={Exception: _internal_error},
    )


class HubApp(Starlette):
    """Starlette, but GET and POST /graphql, the requests nearly every client sends, go straight to
    their handler instead of through Starlette's middleware and router: measured 3-4.5 % fewer
    instructions a compiled-path request (callgrind: ~1,475,000 before, 1,411,000-1,432,000 in two
    runs after) and ~1 % on the general path, as each layer is a call on the way in and an await
    frame that every database round trip suspends and resumes through. What those layers did for
    this route is done here: an unhandled error is logged and answered by `_internal_error`, as
    the app's `Exception` handler does for the other routes. Any other method (HEAD, a 405) and
    any app under a root path take Starlette's way as before. Every HTTP request, whichever way,
    is observed (`hub.web.observed`: its access line, metrics and span), and `/metrics` answered."""

    def __init__(
        self, graphql: Callable[[Request], Awaitable[Response]], observed: Observed | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._graphql = graphql
        self._observed = observed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._observed is not None:
            await self._observed(scope, receive, send, self._answer)
        else:
            await self._answer(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == "/graphql"
            and scope["method"] in ("GET", "POST")
            and not scope.get("root_path")
        ):
            scope["app"] = self
            request = Request(scope, receive)
            try:
                response = await self._graphql(request)
            except Exception as error:
                response = await _internal_error(request, error)
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def _internal_error(request: Request, error: Exception) -> Response:
    """Whatever escapes (a database that went away, a bug): logged once, answered as GraphQL JSON
    with the request id the client sent (or a new one), which the log line names too."""
    request_id = request_id_of(request.headers.get("x-request-id"))
    log.error("unhandled error on %s (request %s)", request.url.path, request_id, exc_info=error)
    message = f"Internal error; try again later, or quote request id {request_id} to support."
    body = {"errors": [{"message": message, "extensions": {"code": "INTERNAL_ERROR"}}]}
    return Response(orjson.dumps(body), 500, media_type="application/json", headers={"x-request-id": request_id})


def app_from_env() -> Starlette:
    """The factory uvicorn workers call (`python -m hub serve --workers N`)."""
    settings = Settings.from_env()
    logs.configure(settings.logs_as, settings.log_level)
    return create_app(settings)
