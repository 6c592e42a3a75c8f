"""The ASGI application: /graphql (API and GraphiQL), /healthz, and GraphiQL's own assets."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from hub.api.compiled import CompiledPath
from hub.api.operations import shipped_operations, trusted_documents
from hub.api.persisted import PersistedQueries
from hub.contract.errors import Code
from hub.settings import Settings
from hub.telemetry import logs, metrics, traces
from hub.web.demo import TOKEN_PATH, DemoCaller, demo_callers
from hub.web.graphiql import graphiql_page
from hub.web.graphiql_tabs import graphiql_tabs
from hub.web.http import GraphQLEndpoint
from hub.web.hub import Hub
from hub.web.lifespan import Resources, lifespan
from hub.web.observed import Observed
from hub.web.peer_checks import part_deadline
from hub.web.request_id import request_id_of
from hub.web.responses import RequestRefused, media_of
from hub.web.routes import graphql_handler, routes

log = logging.getLogger("rabt")


def create_app(settings: Settings, hub: Hub | None = None) -> HubApp:
    """The app of the all-in-one hub or (given a subgraph's `hub`) of one subgraph."""
    hub = hub or Hub.build(settings)
    # Demo callers and their tokens only on the demo: in production mode the route is not mounted.
    callers = () if settings.is_production or hub.signer is None else demo_callers(hub.sectors)
    page = _graphiql(settings, hub, callers)
    compiled = _compiled_path(settings, hub)
    resources = Resources.open(settings, hub)
    endpoint = _endpoint(settings, hub, resources, page, compiled)
    graphql = graphql_handler(endpoint)
    metrics.name_operations(op.name for op in shipped_operations())
    metrics.name_sectors(sector.name for sector in hub.sectors)
    traces.configure(f"rabt-{hub.subgraph or 'hub'}", settings.otlp_endpoint)
    observed = Observed(metrics_from=settings.metrics_networks, pool_use=hub.db.pool_use, request_id=request_id_of)
    return HubApp(
        graphql,
        observed,
        routes=routes(settings, hub, resources, endpoint, graphql, callers),
        lifespan=lifespan(settings, hub, resources, endpoint),
        exception_handlers={Exception: _internal_error},
    )


def _graphiql(settings: Settings, hub: Hub, callers: tuple[DemoCaller, ...]) -> str | None:
    """GraphiQL's page, on the all-in-one hub where RABT_GRAPHIQL leaves it on."""
    if not settings.graphiql or hub.subgraph is not None:
        return None
    return graphiql_page(
        endpoint="/graphql",
        static_prefix="/static/graphiql",
        tabs=graphiql_tabs(),
        callers=[(caller.key, caller.label) for caller in callers],
        token_url=TOKEN_PATH if callers else None,
    )


def _compiled_path(settings: Settings, hub: Hub) -> CompiledPath | None:
    """Where RABT_COMPILED leaves it on, repeated operations answered from a plan."""
    if not settings.compiled:
        return None
    return CompiledPath(
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


def _endpoint(
    settings: Settings, hub: Hub, resources: Resources, page: str | None, compiled: CompiledPath | None
) -> GraphQLEndpoint:
    return GraphQLEndpoint(
        schema=hub.schema,
        db=hub.db,
        access_sources=hub.relation_sources(),
        verifier=hub.verifier,
        audit=resources.audit,
        persisted=PersistedQueries(trusted=trusted_documents() if settings.trusted_documents else None),
        graphiql=page,
        accounts=hub.accounts,
        revocations=hub.revocations,
        max_in_flight=settings.max_in_flight,
        compiled=compiled,
        checks=hub.checks(),
        peers=resources.peers,
        gateway=resources.signature,
        trusted_proxies=settings.trusted_proxies,
        limiter=hub.accounts.limiter if hub.accounts is not None else resources.own_limiter,
        today=lambda: hub.today(),
        bus=resources.bus,
        stores=hub.stores,
        deadline=settings.request_deadline,
        retry_after=settings.retry_after,
        # Behind the gateway, every part's answer is in before the gateway's own timeout.
        part_deadline=part_deadline(settings.subgraph_timeout) if hub.subgraph is not None else None,
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
        if scope["type"] == "http" and scope["path"] == "/graphql" and scope["method"] not in _STARLETTES:
            await _method_not_allowed(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


_STARLETTES = ("GET", "POST", "HEAD", "OPTIONS")  # HEAD as GET; OPTIONS to the CORS middleware, if any


async def _method_not_allowed(scope: Scope, receive: Receive, send: Send) -> None:
    """PUT, DELETE, … on /graphql: refused as the endpoint refuses a mutation sent with GET."""
    request = Request(scope, receive)
    refused = RequestRefused(405, Code.METHOD_NOT_ALLOWED, "Send GraphQL requests with GET or POST.", allow="GET, POST")
    await refused.response(media_of(request), request_id_of(request.headers.get("x-request-id")))(scope, receive, send)


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
