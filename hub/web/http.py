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
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from graphql import DocumentNode, OperationType
from graphql.error import GraphQLSyntaxError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response

from hub.access.gate import Gate
from hub.access.policy import Access
from hub.access.tokens import InvalidToken, TokenVerifier
from hub.accounts.ratelimit import RateLimiter
from hub.accounts.revocations import RevocationFeed
from hub.accounts.services import AccountServices
from hub.api.answers import Answer, error_order, format_error
from hub.api.context import Peers, RequestContext
from hub.api.execution import execute
from hub.api.inputs import LINE_CONTROL, check_variables, control_character
from hub.api.limits import check_limits, parse_document
from hub.api.persisted import PersistedQueries, PersistedQueryError
from hub.api.schema import RabtSchema
from hub.audit.writer import AuditWriter
from hub.contract import IDENTITY, Check, RelationSource
from hub.contract.calendar import riyadh_today
from hub.contract.errors import Code, RabtError
from hub.contract.principal import ANONYMOUS, Principal, Role
from hub.contract.provenance import as_of_now
from hub.data.db import Database
from hub.data.request_reads import RequestReads
from hub.data.sectors import Stores, is_outage
from hub.notifications.bus import Bus, LocalBus
from hub.web.client_address import Network, client_address
from hub.web.gateway_signature import GatewaySignature, SignatureRefused
from hub.web.in_flight import InFlight
from hub.web.observed import Note, note_of
from hub.web.on_behalf import HEADER as ON_BEHALF_OF
from hub.web.on_behalf import BadOnBehalfOf, acting

if TYPE_CHECKING:
    from hub.api.compiled import CompiledPath

log = logging.getLogger("rabt.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY = 1 << 20
MAX_OPERATION_NAME = 128  # the audit trail's column
MAX_PURPOSE = 200
# Methods whose request is in the URL's query string and may only read. HEAD is GET without the
# response's body (the server drops it), so it is answered as GET is.
BY_URL = ("GET", "HEAD")


@dataclass
class ParsedRequest:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


class RequestRefused(Exception):
    """A request refused before its document is looked at, with its HTTP status; `extensions` name
    what was wrong (`header`, `field`), `close` ends the connection (a body left unread)."""

    def __init__(self, status: int, code: Code, message: str, *, close: bool = False, **extensions: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.close, self.extensions = close, extensions

    def response(self, media: str, request_id: str) -> Response:
        headers = {"x-request-id": request_id}
        if self.status == 405:
            headers["allow"] = "POST"
        if self.close:
            headers["connection"] = "close"
        return _response({"errors": [_error(self.message, self.code, **self.extensions)]}, self.status, media, headers)


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
        self.closing = False  # shutting down: new requests are answered 503
        self._running: set[asyncio.Timeout] = set()  # the deadlines of the requests in flight

    async def __call__(self, request: Request) -> Response:
        given_id = request.headers.get("x-request-id")
        request_id = request_id_of(given_id)
        note = note_of(request.scope)
        note.request_id = request_id
        media = GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in request.headers.get("accept", "") else JSON
        if self.closing:
            note.codes = (Code.SERVICE_UNAVAILABLE.value,)
            return self.unavailable(request_id, media, "The service is restarting; try again shortly.", close=True)
        try:
            async with asyncio.timeout(self.deadline) as deadline:
                self._running.add(deadline)
                try:
                    return await self._answer(request, request_id, media, given_id, note)
                finally:
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
        body = {"errors": [_error(message, Code.SERVICE_UNAVAILABLE, retryable=True)]}
        return _response(body, 503, media, headers)

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
        if by_url and self.graphiql and not request.query_params and _wants_html(request):
            return HTMLResponse(self.graphiql)
        try:
            if given_id and given_id != request_id:  # it ends up in logs and the audit
                raise RequestRefused(
                    400, Code.BAD_REQUEST, "X-Request-Id must be 1 to 64 of A-Z a-z 0-9 . _ : -", header="X-Request-Id"
                )
            parsed = await _read(request)
            check_variables(parsed.variables)
            client_ip = self._client_ip(request, parsed)
            note.operation = parsed.operation_name
            principal = await self._principal(request)
            try:
                principal = acting(principal, request.headers.get("x-on-behalf-of"))
            except BadOnBehalfOf as bad:
                raise RequestRefused(400, Code.BAD_REQUEST, str(bad), header=ON_BEHALF_OF) from None
            note.caller = principal.role.value
            query = await self.persisted.resolve(parsed.query, parsed.extensions)
            if query is None:
                raise RequestRefused(400, Code.BAD_REQUEST, "The request has no GraphQL document ('query').")
            document = parse_document(query)
            if by_url and _is_mutation(document, parsed.operation_name):
                raise RequestRefused(405, Code.METHOD_NOT_ALLOWED, "Mutations must be sent with POST.")
            cost = check_limits(self.schema._schema, document, parsed.operation_name, parsed.variables)
        except (GraphQLSyntaxError, RabtError) as error:  # refused before execution: no `data`
            status = 200 if media == JSON else 400
            formatted = format_error(error, request_id)
            note.codes = _codes([formatted])
            return _response({"errors": [formatted]}, status, media, {"x-request-id": request_id})
        except RequestRefused as refused:
            note.codes = (refused.code.value,)
            return refused.response(media, request_id)
        except PersistedQueryError as error:
            note.codes = (error.code.value,)
            body = {"errors": [_error(str(error), error.code)]}
            return _response(body, 200, media, {"x-request-id": request_id})
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
        if _identity_unavailable(answer.body):
            # A person left null would read as "no such person": the whole answer is refused.
            note.codes = (Code.SERVICE_UNAVAILABLE.value,)
            return self.unavailable(request_id, media, "The identity registry cannot answer now; try again shortly.")
        # The audit append waits on the database's commit, not on this worker's CPU: holding a slot
        # through it would idle the worker while requests queue.
        await self.audit.write(answer.audit, principal, request_id, parsed.operation_name)
        if "errors" in answer.body:
            note.codes = _codes(answer.body["errors"])
        return _response(answer.body, answer.status, media, {"x-request-id": request_id})

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

    def _client_ip(self, request: Request, parsed: ParsedRequest) -> str | None:
        """A subgraph's client is the one its gateway vouches for (its peer is the gateway); the
        hub's is its peer, or what its trusted proxies say."""
        if self.gateway is None:
            peer = request.client.host if request.client else None
            return client_address(peer, request.headers.get("x-forwarded-for"), self.trusted_proxies)
        try:
            self.gateway.check(parsed.query, parsed.variables, parsed.extensions)
            return self.gateway.client(request.headers)
        except SignatureRefused as refused:
            raise RequestRefused(
                403, Code.GATEWAY_SIGNATURE_REQUIRED, f"This subgraph answers only the gateway: {refused}."
            ) from None

    async def _principal(self, request: Request) -> Principal:
        authorization = request.headers.get("authorization")
        if not authorization:
            return ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise RequestRefused(401, Code.UNAUTHENTICATED, "Authorization must be 'Bearer <token>'.")
        purpose = _purpose(request.headers.get("x-purpose"))
        try:
            principal = await self.verifier.verify(token.strip(), purpose)
            if principal.session is not None and self.revocations is not None and self.revocations.due():
                # Sessions ended by another process since the last look: at most one read a second.
                await self.revocations.catch_up()
                principal = self.verifier.verify_known(token.strip(), purpose)
        except InvalidToken:
            raise RequestRefused(401, Code.UNAUTHENTICATED, "The token is invalid or expired; sign in again.") from None
        if principal.role in (Role.OFFICER, Role.SERVICE) and not purpose:
            raise RequestRefused(
                400, Code.PURPOSE_REQUIRED, "Officers and services must state a purpose in the X-Purpose header."
            )
        return principal


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")  # a GraphQL name


def request_id_of(given: str | None) -> str:
    """The caller's request id when it is a plain token (it ends up in logs and the audit), else a new one."""
    # 128 random bits as uuid4 has, without building a UUID object (a visible share of a compiled request)
    return given if given is not None and _REQUEST_ID.fullmatch(given) else os.urandom(16).hex()


def _purpose(header: str | None) -> str | None:
    """Why an officer or a service reads, as stored with every audit record: UTF-8 text on one line,
    at most MAX_PURPOSE characters."""
    if not header:
        return None
    try:
        purpose = header.encode("latin-1").decode()  # Starlette hands header bytes over as Latin-1
    except UnicodeDecodeError:
        raise RequestRefused(400, Code.BAD_REQUEST, "X-Purpose must be UTF-8 text.", header="X-Purpose") from None
    if len(purpose) > MAX_PURPOSE:
        raise RequestRefused(
            400, Code.BAD_REQUEST, f"X-Purpose is longer than {MAX_PURPOSE} characters.", header="X-Purpose"
        )
    character = control_character(purpose, LINE_CONTROL)
    if character is not None:
        raise RequestRefused(
            400, Code.BAD_REQUEST, f"X-Purpose holds the control character {character}.", header="X-Purpose"
        )
    return purpose


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def _read(request: Request) -> ParsedRequest:
    if request.method in BY_URL:
        params = request.query_params
        return ParsedRequest(
            query=params.get("query"),
            variables=_json_object(params.get("variables"), "variables"),
            operation_name=_operation_name(params.get("operationName")),
            extensions=_json_object(params.get("extensions"), "extensions"),
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise RequestRefused(415, Code.BAD_REQUEST, "POST a JSON body with Content-Type: application/json.")
    raw = await _body(request)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestRefused(400, Code.BAD_REQUEST, "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise RequestRefused(400, Code.BAD_REQUEST, "The body must be a JSON object (batches are not accepted).")
    query = body.get("query")
    operation_name = body.get("operationName")
    if query is not None and not isinstance(query, str):
        raise RequestRefused(400, Code.BAD_REQUEST, "'query' must be a string.")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestRefused(400, Code.BAD_REQUEST, "'operationName' must be a string.")
    return ParsedRequest(
        query=query,
        variables=_object_or_none(body.get("variables"), "variables"),
        operation_name=_operation_name(operation_name),
        extensions=_object_or_none(body.get("extensions"), "extensions"),
    )


async def _body(request: Request) -> bytes:
    """The body, refused as soon as it is known to be over MAX_BODY: by its Content-Length before a
    byte of it is read, else (chunked) once the bytes read pass the limit; what is left unread is
    never read, and the connection is closed after the answer."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise _too_large()
            chunks.append(chunk)
    except ClientDisconnect:  # the client, or the server's read deadline (hub.web.server), ended it
        raise RequestRefused(400, Code.BAD_REQUEST, "The body did not arrive whole.", close=True) from None
    return b"".join(chunks)


def _too_large() -> RequestRefused:
    return RequestRefused(413, Code.REQUEST_TOO_LARGE, f"The body is larger than {MAX_BODY:,} bytes.", close=True)


def _operation_name(given: str | None) -> str | None:
    """The operation's name as the request gives it (stored with the audit record): a GraphQL name."""
    if not given:
        return None
    if len(given) > MAX_OPERATION_NAME or not _NAME.fullmatch(given):
        raise RequestRefused(
            400,
            Code.BAD_REQUEST,
            f"'operationName' must be a GraphQL name (A-Z a-z 0-9 _, not starting with a digit) of at most "
            f"{MAX_OPERATION_NAME} characters.",
            field="operationName",
        )
    return given


def _json_object(text: str | None, name: str) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise RequestRefused(400, Code.BAD_REQUEST, f"'{name}' is not valid JSON.") from None
    return _object_or_none(value, name)


def _object_or_none(value: Any, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RequestRefused(400, Code.BAD_REQUEST, f"'{name}' must be a JSON object.")
    return value


def _is_mutation(document: DocumentNode, operation_name: str | None) -> bool:
    for definition in document.definitions:
        operation = getattr(definition, "operation", None)
        if operation is None:
            continue
        name = definition.name.value if getattr(definition, "name", None) else None  # type: ignore[attr-defined]
        if operation_name is None or name == operation_name:
            return bool(operation is OperationType.MUTATION)
    return False


def _codes(errors: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The errors' `extensions.code`s, for the access line and the metrics (never their messages)."""
    return tuple(str((error.get("extensions") or {}).get("code", "ERROR")) for error in errors)


def _identity_unavailable(body: Mapping[str, Any]) -> bool:
    for error in body.get("errors") or ():
        extensions = error.get("extensions") or {}
        if extensions.get("code") == Code.SECTOR_UNAVAILABLE.value and extensions.get("sector") == IDENTITY:
            return True
    return False


def _error(message: str, code: Code, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code.value, **extensions}}


def _response(body: dict[str, Any], status: int, media: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media, headers=dict(headers or {}))
