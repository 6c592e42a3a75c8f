"""A request must arrive whole in time: against a real uvicorn server with the hub's protocol on a
free loopback port, connections that send half a body, slow headers or nothing are closed at the
read deadline (a 408 when no answer has started), and a body declared too large is refused at
once."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time

import orjson

from hub.settings import Settings
from hub.web.app import create_app
from hub.web.server import ReadDeadline, uvicorn_options
from tests.conftest import Api
from tests.served import served

TIMEOUT = 1.0  # seconds: the server's read deadline in these tests
SLACK = 5.0  # what a loaded test machine may add before the deadline's callback runs


def _served(api: Api) -> contextlib.AbstractAsyncContextManager[int]:
    """The hub's app under uvicorn with the hub's protocol, on a free loopback port."""
    settings = api.hub.settings
    options = uvicorn_options(settings) | {"http": functools.partial(ReadDeadline, request_timeout=TIMEOUT)}
    return served(create_app(settings, api.hub), lifespan="off", **options)


async def _until_closed(port: int, sent: bytes) -> tuple[float, bytes]:
    """Seconds from connecting until the server closed the connection, and what it answered."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(sent)
        await writer.drain()
        received = await asyncio.wait_for(reader.read(), TIMEOUT + SLACK)  # to the end: the server closed
    finally:
        writer.close()
    return time.monotonic() - started, received


def _head(length: int) -> bytes:
    return (
        b"POST /graphql HTTP/1.1\r\nhost: rabt.test\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % length
    )


async def test_half_sent_bodies_are_closed_at_the_deadline(sqlite_api: Api) -> None:
    """The deadline runs from the request's first byte: 20 connections that send their headers and
    half a body are all closed once it passes, and the server still answers others."""
    async with _served(sqlite_api) as port:
        closed = await asyncio.gather(*(_until_closed(port, _head(100) + b'{"query": "{ __ty') for _ in range(20)))
        for seconds, received in closed:
            assert TIMEOUT * 0.9 <= seconds < TIMEOUT + SLACK
            assert received == b""  # the endpoint had the request: no 408 written under it
        _, answered = await _until_closed(
            port, _head(27).replace(b"\r\n\r\n", b"\r\nconnection: close\r\n\r\n") + b'{"query": "{ __typename }"}'
        )
        assert answered.startswith(b"HTTP/1.1 200 ") and answered.endswith(b'{"data":{"__typename":"Query"}}')


async def test_slow_headers_and_an_idle_connection_get_408_and_are_closed_at_the_deadline(sqlite_api: Api) -> None:
    async with _served(sqlite_api) as port:
        for sent in (b"POST /graphql HTTP/1.1\r\nhost: rabt.test\r\ncontent-", b""):
            seconds, received = await _until_closed(port, sent)
            assert TIMEOUT * 0.9 <= seconds < TIMEOUT + SLACK
            assert received.startswith(b"HTTP/1.1 408 ") and b"connection: close" in received
            assert (
                orjson.loads(received.split(b"\r\n\r\n", 1)[1])["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
            )


async def test_a_body_declared_too_large_is_refused_before_it_is_sent(sqlite_api: Api) -> None:
    async with _served(sqlite_api) as port:
        seconds, received = await _until_closed(port, _head(50_000_000))
    assert seconds < TIMEOUT  # answered at once, not at the deadline
    assert received.startswith(b"HTTP/1.1 413 ") and b"connection: close" in received
    assert b"REQUEST_TOO_LARGE" in received


def test_the_read_deadline_is_configured_from_the_environment() -> None:
    assert Settings.from_env({}).request_timeout == 10.0
    assert Settings.from_env({"RABT_REQUEST_TIMEOUT": "2.5"}).request_timeout == 2.5
    options = uvicorn_options(Settings(request_timeout=2.5))
    assert options["http"].keywords == {"request_timeout": 2.5} and options["http"].func is ReadDeadline
