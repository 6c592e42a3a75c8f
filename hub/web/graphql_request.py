"""A GraphQL-over-HTTP request read: by GET in its URL's query string, by POST in a JSON body of
bounded size; every malformed part refused with the part it names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import DocumentNode, OperationType
from starlette.requests import ClientDisconnect, Request

from hub.contract.errors import Code
from hub.web.responses import JSON, RequestRefused

MAX_BODY = 1 << 20
MAX_OPERATION_NAME = 128  # the audit trail's column
# Methods whose request is in the URL's query string and may only read. HEAD is GET without the
# response's body (the server drops it), so it is answered as GET is.
BY_URL = ("GET", "HEAD")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")  # a GraphQL name


@dataclass
class ParsedRequest:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def read_request(request: Request) -> ParsedRequest:
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


def is_mutation(document: DocumentNode, operation_name: str | None) -> bool:
    for definition in document.definitions:
        operation = getattr(definition, "operation", None)
        if operation is None:
            continue
        name = definition.name.value if getattr(definition, "name", None) else None  # type: ignore[attr-defined]
        if operation_name is None or name == operation_name:
            return bool(operation is OperationType.MUTATION)
    return False
