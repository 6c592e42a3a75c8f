"""How the hub is served: uvicorn, with a deadline on reading each request.

uvicorn bounds how long a connection may idle between requests (`timeout_keep_alive`), not how
long a request may take to arrive: a client that sends its headers or its body a few bytes at a
time holds the connection, and whatever the hub keeps for it, as long as it likes. Here a request
must arrive whole — request line, headers and body — within `request_timeout` seconds of its
first byte (of the connection's opening, for its first request). Past it the connection is
closed, after a 408 when nothing of an answer has started; an endpoint still reading the body
sees the client gone (`hub.web.graphql_request`). The time the hub takes to answer does not count.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hub.contract.errors import Code
from hub.settings import Settings


class ReadDeadline(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline from a request's first byte to its last."""

    def __init__(self, *args: Any, request_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_timeout = request_timeout
        self._deadline: asyncio.TimerHandle | None = None
        self._head_read = False  # the request line and headers of the request being read arrived

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_read = False
        if self._deadline is None:  # the connection's first request keeps the deadline of its opening
            self._arm()

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._head_read = True

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.request_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        # No application has this request yet, and none is writing an answer on this connection.
        if not self._head_read and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(_timed_out(self.request_timeout))
        self.transport.close()


def _timed_out(seconds: float) -> bytes:
    body = orjson.dumps(
        {
            "errors": [
                {
                    "message": f"The request did not arrive whole within {seconds:g} seconds.",
                    "extensions": {"code": Code.REQUEST_TIMEOUT.value},
                }
            ]
        }
    )
    head = (
        b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    )
    return head + body


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """What every `uvicorn.run` of the hub passes: the protocol with the read deadline (a partial
    of a module-level class, so that uvicorn can hand it to worker processes), and a keep-alive
    longer than a gateway's idle connections, or it meets sockets closed under it."""
    return {
        "http": functools.partial(ReadDeadline, request_timeout=settings.request_timeout),
        "timeout_keep_alive": 75,
        # After SIGTERM the hub's own grace answers what is still running with a 503
        # (hub/web/shutdown.py); uvicorn waits a little longer so those answers go out.
        "timeout_graceful_shutdown": settings.shutdown_grace + 2,
        # The client's address is the peer's unless it is a trusted proxy (hub.web.client_address):
        # uvicorn's own rewriting would believe X-Forwarded-For from any loopback peer.
        "proxy_headers": False,
        # The hub writes its own access line (hub.web.observed) and configures logging itself (hub.telemetry.logs).
        "access_log": False,
        "log_config": None,
    }
