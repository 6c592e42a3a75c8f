"""GraphQL subscriptions over WebSocket, the graphql-transport-ws protocol (graphql-ws's), on /graphql.

Written on Starlette and graphql-core's `subscribe` as the HTTP endpoint is written on graphql-core's
`execute`: the same document limits, validation, error codes and request context. The access token
comes in `connection_init`'s payload (`{"authorization": "Bearer <token>"}`), as browsers cannot set
headers on a WebSocket; it is checked again before every event is sent, so a session ended or a
token expired closes the socket (4403) instead of streaming on.

Only subscriptions run here; queries and mutations go over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import orjson
from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode, OperationType, subscribe
from starlette.websockets import WebSocket, WebSocketDisconnect

from hub.access.gate import Gate
from hub.access.policy import Access
from hub.access.tokens import InvalidToken, TokenVerifier
from hub.accounts.revocations import RevocationFeed
from hub.api.answers import format_error
from hub.api.context import RequestContext
from hub.api.execution import validate
from hub.api.limits import check_limits, parse_document
from hub.api.schema import RabtSchema
from hub.audit.writer import AuditWriter
from hub.contract import RelationSource
from hub.contract.calendar import riyadh_today
from hub.contract.errors import Code, RabtError
from hub.contract.principal import ANONYMOUS, Principal
from hub.data.db import Database
from hub.data.request_reads import RequestReads
from hub.notifications.bus import Bus
from hub.web.caller import verified
from hub.web.request_id import request_id_of

log = logging.getLogger("rabt.subscriptions")
PROTOCOL = "graphql-transport-ws"
INIT_TIMEOUT = 10.0
MAX_SUBSCRIPTIONS = 10  # per connection


class Close(Exception):
    """Ends the connection with a graphql-transport-ws close code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class SubscriptionEndpoint:
    def __init__(
        self,
        *,
        schema: RabtSchema,
        db: Database,
        access_sources: Sequence[tuple[str, RelationSource]],
        verifier: TokenVerifier,
        audit: AuditWriter,
        bus: Bus,
        revocations: RevocationFeed | None = None,
        today: Callable[[], dt.date] = riyadh_today,
    ) -> None:
        self.schema, self.db, self.sources = schema, db, access_sources
        self.verifier, self.revocations, self.audit, self.bus = verifier, revocations, audit, bus
        self.today = today  # the hub's "today" (`Hub.today`), as every rule decides on

    async def handle(self, websocket: WebSocket) -> None:
        if PROTOCOL not in websocket.scope.get("subprotocols", []):
            await websocket.close(code=4406, reason="Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=PROTOCOL)
        running: dict[str, asyncio.Task[None]] = {}
        try:
            token, principal = await self._initialised(websocket)
            await self._send(websocket, {"type": "connection_ack"})
            while True:
                message = _message(await _receive(websocket))
                kind = message.get("type")
                if kind == "ping":
                    await self._send(websocket, {"type": "pong"})
                elif kind == "pong":
                    continue
                elif kind == "subscribe":
                    self._start(websocket, message, token, principal, running)
                elif kind == "complete":
                    task = running.pop(str(message.get("id")), None)
                    if task is not None:
                        task.cancel()
                elif kind == "connection_init":
                    raise Close(4429, "Too many initialisation requests")
                else:
                    raise Close(4400, f"Unexpected message type {kind!r}")
        except Close as close:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close(code=close.code, reason=close.reason)
        except WebSocketDisconnect:
            pass
        finally:
            # A task leaves `running` as it ends (its done callback): iterate over a copy.
            ending = list(running.values())
            for task in ending:
                task.cancel()
            for task in ending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _initialised(self, websocket: WebSocket) -> tuple[str | None, Principal]:
        try:
            text = await asyncio.wait_for(_receive(websocket), INIT_TIMEOUT)
        except TimeoutError:
            raise Close(4408, "Connection initialisation timeout") from None
        message = _message(text)
        if message.get("type") != "connection_init":
            raise Close(4401, "Unauthorized")
        payload = message.get("payload") or {}
        authorization = payload.get("authorization") if isinstance(payload, dict) else None
        if authorization is None:
            return None, ANONYMOUS
        scheme, _, token = str(authorization).partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Close(4403, "Forbidden: authorization must be 'Bearer <token>'")
        return token.strip(), await self._verified(token.strip(), "Forbidden: the token is invalid or expired")

    def _start(
        self,
        websocket: WebSocket,
        message: Mapping[str, Any],
        token: str | None,
        principal: Principal,
        running: dict[str, asyncio.Task[None]],
    ) -> None:
        operation_id = message.get("id")
        payload = message.get("payload")
        if not isinstance(operation_id, str) or not operation_id or not isinstance(payload, dict):
            raise Close(4400, "A subscribe message needs an id and a payload")
        if operation_id in running:
            raise Close(4409, f"Subscriber for {operation_id} already exists")
        if len(running) >= MAX_SUBSCRIPTIONS:
            raise Close(4400, f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection")
        task = asyncio.create_task(self._run(websocket, operation_id, payload, token, principal))
        running[operation_id] = task
        task.add_done_callback(lambda _: running.pop(operation_id, None) if running.get(operation_id) is task else None)

    async def _run(
        self, websocket: WebSocket, operation_id: str, payload: dict[str, Any], token: str | None, principal: Principal
    ) -> None:
        request_id = request_id_of(None)
        try:
            stream = await self._subscribe(payload, principal, request_id)
        except RabtError as error:
            await self._send(
                websocket, {"id": operation_id, "type": "error", "payload": [_formatted(error, request_id)]}
            )
            return
        if isinstance(stream, ExecutionResult):
            errors = [_formatted(error, request_id) for error in stream.errors or ()]
            await self._send(websocket, {"id": operation_id, "type": "error", "payload": errors})
            return
        try:
            async for result in stream:
                if token is not None:
                    await self._still_valid(token)
                body: dict[str, Any] = {"data": result.data}
                if result.errors:
                    body["errors"] = [_formatted(error, request_id) for error in result.errors]
                await self._send(websocket, {"id": operation_id, "type": "next", "payload": body})
        except Close as close:
            await websocket.close(code=close.code, reason=close.reason)
            return
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        await self._send(websocket, {"id": operation_id, "type": "complete"})

    async def _subscribe(
        self, payload: dict[str, Any], principal: Principal, request_id: str
    ) -> AsyncIterator[ExecutionResult] | ExecutionResult:
        query = payload.get("query")
        variables = payload.get("variables")
        operation_name = payload.get("operationName")
        if not isinstance(query, str) or (variables is not None and not isinstance(variables, dict)):
            raise RabtError(Code.BAD_REQUEST, "payload: 'query' must be a string and 'variables' an object.")
        if operation_name is not None and not isinstance(operation_name, str):
            raise RabtError(Code.BAD_REQUEST, "payload: 'operationName' must be a string.")
        document = parse_document(query)
        check_limits(self.schema._schema, document, operation_name, variables)
        errors = validate(self.schema._schema, document)
        if errors:
            return ExecutionResult(None, errors)
        if not _is_subscription(document, operation_name):
            raise RabtError(
                Code.BAD_REQUEST, "Only subscriptions run over WebSocket; send queries and mutations over HTTP."
            )
        reads = RequestReads(self.db.rows)
        context = RequestContext(
            db=self.db,
            reads=reads,
            principal=principal,
            gate=Gate(Access(principal, self.db, self.sources, self.today)),
            request_id=request_id,
            operation_name=operation_name,
            bus=self.bus,
            clock=self.today,
        )
        try:
            stream = await subscribe(  # type: ignore[misc]
                self.schema._schema,
                document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
            )
        finally:
            await reads.close()
            audit = context.finish()
        await self.audit.write(audit, principal, request_id, operation_name)
        return stream  # type: ignore[no-any-return]

    async def _still_valid(self, token: str) -> None:
        await self._verified(token, "Forbidden: the session ended or the token expired; sign in again")

    async def _verified(self, token: str, refused: str) -> Principal:
        """The token's principal; else the socket closes: `refused` for a token not (or no longer)
        valid, 1011 when the sessions ended elsewhere cannot be read now."""
        try:
            return await verified(token, None, self.verifier, self.revocations)
        except InvalidToken:
            raise Close(4403, refused) from None
        except Exception:  # an answer now could reach a session ended elsewhere: none, and say why
            log.warning("subscriptions: the sessions ended elsewhere could not be read", exc_info=True)
            raise Close(1011, "Sessions cannot be checked now; try again shortly") from None

    @staticmethod
    async def _send(websocket: WebSocket, message: dict[str, Any]) -> None:
        await websocket.send_text(orjson.dumps(message).decode())


async def _receive(websocket: WebSocket) -> str | bytes:
    """The next frame's payload, text or binary (graphql-ws clients send text; a few send bytes)."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text: str | bytes | None = message.get("text") or message.get("bytes")
    if text is None:
        raise Close(4400, "Invalid message: empty frame")
    return text


def _message(text: str | bytes) -> dict[str, Any]:
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise Close(4400, "Invalid message: not JSON") from None
    if not isinstance(message, dict):
        raise Close(4400, "Invalid message: not an object")
    return message


def _formatted(error: GraphQLError, request_id: str) -> dict[str, Any]:
    return format_error(error, request_id)


def _is_subscription(document: Any, operation_name: str | None) -> bool:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name is not None and definition.name.value == operation_name)
        ):
            return definition.operation is OperationType.SUBSCRIPTION
    return False
