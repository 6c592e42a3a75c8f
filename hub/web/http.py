"""GraphQL over HTTP: the one endpoint front ends call, and GraphiQL for people with a browser.

Written on Starlette directly rather than strawberry's ASGI view, so that every refusal has a
stable `extensions.code`, errors come out in a stable order (sorted by path: graphql-core appends
them in completion order), the body is serialised with orjson, and the audit batch is written once
per request after execution.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode
from graphql.error import GraphQLSyntaxError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from hub.access.gate import Gate
from hub.access.policy import Access
from hub.access.tokens import TokenVerifier
from hub.accounts.ratelimit import RateLimiter
from hub.accounts.revocations import RevocationFeed
from hub.accounts.services import AccountServices
from hub.api.answers import Answer, error_order, format_error
from hub.api.context import Peers, RequestContext
from hub.api.execution import execute
from hub.api.inputs import check_variables
from hub.api.limits import check_limits, parse_document
from hub.api.persisted import PersistedQueries, PersistedQueryError
from hub.api.schema import RabtSchema
from hub.audit.writer import AuditWriter
from hub.contract import Check, RelationSource
from hub.contract.calendar import riyadh_today
from hub.contract.errors import Code, RabtError
from hub.contract.principal import Principal
from hub.contract.provenance import as_of_now
from hub.data.db import Database
from hub.data.request_reads import RequestReads
from hub.data.sectors import PART_DEADLINE, Stores, is_outage
from hub.notifications.bus import Bus, LocalBus
from hub.web.caller import client_ip_of, principal_of
from hub.web.client_address import Network
from hub.web.gateway_signature import GatewaySignature
from hub.web.graphql_request import BY_URL, ParsedRequest, is_mutation, read_request, wants_html
from hub.web.in_flight import InFlight
from hub.web.observed import Note, note_of
from hub.web.on_behalf import HEADER as ON_BEHALF_OF
from hub.web.on_behalf import BadOnBehalfOf, acting
from hub.web.request_id import request_id_of
from hub.web.responses import (
    JSON,
    RequestRefused,
    codes_of,
    error_entry,
    identity_unavailable,
    json_response,
    media_of,
)

if TYPE_CHECKING:
    from hub.api.compiled import CompiledPath

log = logging.getLogger("rabt.http")


class GraphQLEndpoint:
    def __init__(
        self,
        *,
        schema: RabtSchema,
        db: Database,
        access_sources: Sequence[tuple[str, RelationSource]],
        verifier: TokenVerifier,
        audit: AuditWriter,
        persisted: PersistedQueries,
        graphiql: str | None,
        accounts: AccountServices | None = None,
        compiled: CompiledPath | None = None,
        max_in_flight: int = 8,
        checks: Mapping[str, Check] | None = None,
        peers: Peers | None = None,
        gateway: GatewaySignature | None = None,
        trusted_proxies: Sequence[Network] = (),
        revocations: RevocationFeed | None = None,
        limiter: RateLimiter | None = None,
        today: Callable[[], dt.date] = riyadh_today,
        clock: Callable[[], dt.datetime] = as_of_now,
        bus: Bus | None = None,
        stores: Stores | None = None,
        deadline: float | None = None,
        retry_after: int = 5,
        part_deadline: float | None = None,
    ) -> None:
        self.schema = schema
        self.db = db
        self.sources = access_sources
        self.verifier = verifier
        self.gateway = gateway  # a subgraph's: every request must be signed by the gateway
        self.audit = audit
        self.persisted = persisted
        self.graphiql = graphiql
        self.accounts = accounts
        self.compiled = compiled  # repeated operations answered from a plan; None: always the general path
        self.in_flight = InFlight(max_in_flight)
        self.checks = checks or {}
        self.peers = peers  # where the checks of sectors this part does not hold are asked
        self.trusted_proxies = tuple(trusted_proxies)
        self.revocations = revocations
        self.limiter = limiter  # public inquiries' per-client windows
        self.today = today
        self.clock = clock  # the moment a request reads, which its `source { asOf }` fields tell
        self.bus = bus or LocalBus()  # where the notices mutations keep are pushed
        self.stores = stores
        self.deadline = deadline  # seconds from arrival to answer; None: no deadline
        self.retry_after = retry_after
        # A subgraph's: seconds from arrival within which its budgets (and the parts it asks) must
        # answer, before the gateway stops waiting for it (hub.data.sectors.PART_DEADLINE).
        self.part_deadline = part_deadline
        self.closing = False  # shutting down: new requests are answered 503
        self._running: set[asyncio.Timeout] = set()  # the deadlines of the requests in flight

    async def __call__(self, request: Request) -> Response:
        given_id = request.headers.get("x-request-id")
        request_id = request_id_of(given_id)
        note = note_of(request.scope)
        note.request_id = request_id
        media = media_of(request)
        if self.closing:
            note.codes = (Code.SERVICE_UNAVAILABLE.value,)
            return self.unavailable(request_id, media, "The service is restarting; try again shortly.", close=True)
        part = None if self.part_deadline is None else asyncio.get_running_loop().time() + self.part_deadline
        try:
            async with asyncio.timeout(self.deadline) as deadline:
                self._running.add(deadline)
                token = PART_DEADLINE.set(part)
                try:
                    return await self._answer(request, request_id, media, given_id, note)
                finally:
                    PART_DEADLINE.reset(token)
                    self._running.discard(deadline)
        except TimeoutError:
            note.codes = (Code.SERVICE_UNAVAILABLE.value,)
            message = (
                "The service is restarting; try again shortly."
                if self.closing
                else "The answer did not come within the request's deadline; try again shortly."
            )
            return self.unavailable(request_id, media, message, close=self.closing)
        except Exception as error:
            if not is_outage(error):
                raise
            note.codes = (Code.SERVICE_UNAVAILABLE.value,)
            log.warning("request %s: a database could not be reached (%s)", request_id, type(error).__name__)
            return self.unavailable(request_id, media, "The service cannot read its data now; try again shortly.")

    def unavailable(self, request_id: str, media: str, message: str, *, close: bool = False) -> Response:
        """503 SERVICE_UNAVAILABLE with Retry-After: nothing of the answer can be trusted to be
        whole (identity unreadable, the deadline passed, the hub shutting down)."""
        headers = {"x-request-id": request_id, "retry-after": str(self.retry_after)}
        if close:
            headers["connection"] = "close"
        body = {"errors": [error_entry(message, Code.SERVICE_UNAVAILABLE, retryable=True)]}
        return json_response(body, 503, media, headers)

    def shut_down(self, grace: float) -> None:
        """SIGTERM: from now on new requests are refused 503; those in flight have `grace` seconds
        to finish, then answer 503 (a mutation not committed by then is rolled back)."""
        self.closing = True
        loop = asyncio.get_running_loop()
        for deadline in self._running:
            when = deadline.when()
            if when is None or when > loop.time() + grace:
                deadline.reschedule(loop.time() + grace)

    @property
    def in_flight_requests(self) -> int:
        return len(self._running)

    async def _answer(
        self, request: Request, request_id: str, media: str, given_id: str | None, note: Note
    ) -> Response:
        by_url = request.method in BY_URL
        if by_url and self.graphiql and not request.query_params and wants_html(request):
            return HTMLResponse(self.graphiql)
        try:
            if given_id and given_id != request_id:  # it ends up in logs and the audit
                raise RequestRefused(
                    400, Code.BAD_REQUEST, "X-Request-Id must be 1 to 64 of A-Z a-z 0-9 . _ : -", header="X-Request-Id"
                )
            parsed = await read_request(request)
            check_variables(parsed.variables)
            client_ip = client_ip_of(request, parsed, self.gateway, self.trusted_proxies)
            note.operation = parsed.operation_name
            principal = await principal_of(request, self.verifier, self.revocations)
            try:
                principal = acting(principal, request.headers.get("x-on-behalf-of"))
            except BadOnBehalfOf as bad:
                raise RequestRefused(400, Code.BAD_REQUEST, str(bad), header=ON_BEHALF_OF) from None
            note.caller = principal.role.value
            query = await self.persisted.resolve(parsed.query, parsed.extensions)
            if query is None:
                raise RequestRefused(400, Code.BAD_REQUEST, "The request has no GraphQL document ('query').")
            document = parse_document(query)
            if by_url and is_mutation(document, parsed.operation_name):
                raise RequestRefused(405, Code.METHOD_NOT_ALLOWED, "Mutations must be sent with POST.")
            cost = check_limits(self.schema._schema, document, parsed.operation_name, parsed.variables)
        except (GraphQLSyntaxError, RabtError) as error:  # refused before execution: no `data`
            status = 200 if media == JSON else 400
            formatted = format_error(error, request_id)
            note.codes = codes_of([formatted])
            return json_response({"errors": [formatted]}, status, media, {"x-request-id": request_id})
        except RequestRefused as refused:
            note.codes = (refused.code.value,)
            return refused.response(media, request_id)
        except PersistedQueryError as error:
            note.codes = (error.code.value,)
            body = {"errors": [error_entry(str(error), error.code)]}
            return json_response(body, 200, media, {"x-request-id": request_id})
        # Bounded work in flight, weighed by cost (hub.web.in_flight): past a few concurrent executions
        # a worker only adds garbage and context switches.
        async with self.in_flight.running(cost):
            answer = None
            read_at = self.clock()  # one moment for the request, whichever path answers it
            if self.compiled is not None and self.compiled.accepts(query, parsed.extensions):
                answer = await self.compiled.answer(
                    query, document, parsed.variables, parsed.operation_name, principal, request_id, read_at
                )
            if answer is None:  # the general path
                answer = await self._execute(document, parsed, principal, client_ip, request_id, media, read_at)
        if identity_unavailable(answer.body):
            # A person left null would read as "no such person": the whole answer is refused.
            note.codes = (Code.SERVICE_UNAVAILABLE.value,)
            return self.unavailable(request_id, media, "The identity registry cannot answer now; try again shortly.")
        # The audit append waits on the database's commit, not on this worker's CPU: holding a slot
        # through it would idle the worker while requests queue.
        await self.audit.write(answer.audit, principal, request_id, parsed.operation_name)
        if "errors" in answer.body:
            note.codes = codes_of(answer.body["errors"])
        return json_response(answer.body, answer.status, media, {"x-request-id": request_id})

    async def _execute(
        self,
        document: DocumentNode,
        parsed: ParsedRequest,
        principal: Principal,
        client_ip: str | None,
        request_id: str,
        media: str,
        read_at: dt.datetime,
    ) -> Answer:
        reads = RequestReads(self.db.rows, self.stores)
        context = RequestContext(
            db=self.db,
            reads=reads,
            principal=principal,
            gate=Gate(Access(principal, self.db, self.sources, self.today, stores=self.stores)),
            stores=self.stores,
            checks=self.checks,
            peers=self.peers,
            request_id=request_id,
            read_at=read_at,
            operation_name=parsed.operation_name,
            client_ip=client_ip,
            accounts=self.accounts,
            limiter=self.limiter,
            clock=self.today,
            bus=self.bus,
        )
        try:
            result = await execute(self.schema, document, parsed.variables, parsed.operation_name, context)
        finally:
            await reads.close()
            audit = context.finish()
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = sorted((format_error(error, request_id) for error in result.errors), key=error_order)
        # Per the spec, `data` is present (maybe null) once execution started: an error with a path.
        executed = result.data is not None or any(error.path for error in result.errors or ())
        if executed:
            body["data"] = result.data
        return Answer(body, audit, 200 if executed or media == JSON else 400)
