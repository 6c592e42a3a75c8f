"""The app's routes besides its GraphQL fast path: /graphql (HTTP and WebSocket), the health
checks, the published token keys, GraphiQL's assets and, on the demo, its callers' tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from hub.settings import Settings
from hub.web.demo import TOKEN_PATH, DemoCaller, DemoTokens
from hub.web.graphiql import BOOT_SCRIPT_CSP_HASH
from hub.web.health import endpoints
from hub.web.http import GraphQLEndpoint
from hub.web.hub import Hub
from hub.web.lifespan import Resources
from hub.web.part_endpoints import part_routes
from hub.web.subscriptions import SubscriptionEndpoint
from hub.web.token_keys import JWKS_PATH

STATIC = Path(__file__).parent / "static" / "vendor"

Handler = Callable[[Request], Awaitable[Response]]


def graphql_handler(endpoint: GraphQLEndpoint) -> Handler:
    """The endpoint, with GraphiQL's page under a policy that runs only the page's own scripts."""

    async def graphql(request: Request) -> Response:
        response = await endpoint(request)
        if response.media_type == "text/html":
            response.headers["content-security-policy"] = (
                f"default-src 'self'; script-src 'self' {BOOT_SCRIPT_CSP_HASH}; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; font-src 'self' data:"
            )
        return response

    return graphql


def routes(
    settings: Settings,
    hub: Hub,
    resources: Resources,
    endpoint: GraphQLEndpoint,
    graphql: Handler,
    callers: Sequence[DemoCaller],
) -> list[BaseRoute]:
    livez, readyz = endpoints(hub.stores, settings.redis_url, lambda: endpoint.closing)
    return [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        *_subscriptions(hub, resources),
        Route("/healthz", _healthz(hub), methods=["GET"]),
        Route("/livez", livez, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route(JWKS_PATH, _jwks_document(hub.jwks()), methods=["GET"]),
        *part_routes(
            hub.sectors,
            hub.subgraph,
            resources.signature,
            resources.audit,
            hub.db,
            hub.stores,
            resources.peers,
            lambda: hub.today(),
            endpoint.in_flight,
        ),
        Mount("/static/graphiql", app=StaticFiles(directory=STATIC), name="graphiql"),
        *_demo(hub, callers),
    ]


def _subscriptions(hub: Hub, resources: Resources) -> list[BaseRoute]:
    """GraphQL over WebSocket on /graphql, where the schema has subscriptions."""
    if hub.schema.subscription is None:
        return []
    endpoint = SubscriptionEndpoint(
        schema=hub.schema,
        db=hub.db,
        access_sources=hub.relation_sources(),
        verifier=hub.verifier,
        audit=resources.audit,
        bus=resources.bus,
        revocations=hub.revocations,
        today=lambda: hub.today(),
    )
    return [WebSocketRoute("/graphql", endpoint.handle)]


def _healthz(hub: Hub) -> Handler:
    async def healthz(_: Request) -> Response:
        await hub.db.ping()
        return JSONResponse({"status": "ok", "sectors": [sector.name for sector in hub.sectors]})

    return healthz


def _jwks_document(published: dict[str, Any] | None) -> Handler:
    async def jwks_document(_: Request) -> Response:
        if published is None:
            return JSONResponse({"error": "this part signs no tokens"}, status_code=404)
        return JSONResponse(published, headers={"cache-control": "public, max-age=300"})

    return jwks_document


def _demo(hub: Hub, callers: Sequence[DemoCaller]) -> list[BaseRoute]:
    """The demo callers' tokens, where there are demo callers and people sign in."""
    if callers and hub.signer is not None and hub.accounts is not None:
        return [Route(TOKEN_PATH, DemoTokens(callers, hub.signer, hub.accounts.limiter).issue, methods=["POST"])]
    return []
