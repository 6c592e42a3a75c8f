"""Bodies: refused by their Content-Length before a byte is read, read no further than the limit
when they come in chunks, and a client gone before its body arrived is no internal error."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest

from hub.web.app import create_app
from hub.web.graphql_request import MAX_BODY
from tests.conftest import Api

CHUNK = 64 * 1024


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def _call(api: Api, headers: list[tuple[bytes, bytes]], messages: list[dict[str, Any]]) -> tuple[int, Any, Any]:
    """The app's answer to a request whose body arrives as `messages` (the last repeated for ever),
    and how many of them it read."""
    app = create_app(api.hub.settings, api.hub)
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return messages[min(read, len(messages)) - 1]

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(_scope(headers), receive, send)
    start, body = sent[0], b"".join(message.get("body", b"") for message in sent[1:])
    return read, (start["status"], dict(start["headers"])), orjson.loads(body)


async def test_a_body_declared_over_the_limit_is_refused_before_a_byte_of_it_is_read(sqlite_api: Api) -> None:
    chunk = {"type": "http.request", "body": b" " * CHUNK, "more_body": True}
    read, (status, headers), answer = await _call(sqlite_api, [(b"content-length", b"50000000")], [chunk])
    assert (read, status, headers[b"connection"]) == (0, 413, b"close")
    assert answer["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_a_chunked_body_is_read_up_to_the_limit_and_no_further(sqlite_api: Api) -> None:
    chunk = {"type": "http.request", "body": b" " * CHUNK, "more_body": True}  # an endless body
    read, (status, headers), answer = await _call(sqlite_api, [(b"transfer-encoding", b"chunked")], [chunk])
    assert (read, status, headers[b"connection"]) == (MAX_BODY // CHUNK + 1, 413, b"close")
    assert answer["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_a_body_at_the_limit_is_read_whole(sqlite_api: Api) -> None:
    document = b'{"query": "{ __typename }"}'
    body = document + b" " * (MAX_BODY - len(document))
    parts = [body[start : start + CHUNK] for start in range(0, MAX_BODY, CHUNK)]
    messages = [{"type": "http.request", "body": part, "more_body": True} for part in parts[:-1]]
    messages.append({"type": "http.request", "body": parts[-1], "more_body": False})
    read, (status, _), answer = await _call(sqlite_api, [(b"content-length", str(MAX_BODY).encode())], messages)
    assert (read, status, answer) == (len(parts), 200, {"data": {"__typename": "Query"}})


async def test_a_client_gone_before_its_body_arrived_is_no_internal_error(
    sqlite_api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    messages = [{"type": "http.request", "body": b'{"query": "{', "more_body": True}, {"type": "http.disconnect"}]
    with caplog.at_level(logging.WARNING):
        _, (status, headers), answer = await _call(sqlite_api, [(b"content-length", b"100")], messages)
    assert (status, answer["errors"][0]["extensions"]["code"], headers[b"connection"]) == (400, "BAD_REQUEST", b"close")
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
