"""Graceful shutdown: on SIGTERM (or SIGINT) the server stops accepting connections, as uvicorn
does; the hub's endpoint is told at once, so new requests on open connections answer 503 and
the requests in flight get `RABT_SHUTDOWN_GRACE` seconds to finish before they answer 503 too
(`GraphQLEndpoint.shut_down`). uvicorn waits a little longer than the grace
(`timeout_graceful_shutdown`, hub/web/server.py), so those 503s are sent before it closes."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


def on_shutdown_signal(notify: Callable[[], None]) -> Callable[[], None]:
    """Calls `notify` on the running loop when SIGTERM or SIGINT arrives, after whatever handled
    the signal before (uvicorn's own, which begins its shutdown). Returns what puts the previous
    handlers back. Outside the main thread (a test's app) nothing is installed."""
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def handle(number: int, frame: FrameType | None) -> None:
        before = previous.get(number)
        if callable(before):
            before(number, frame)
        loop.call_soon_threadsafe(notify)

    try:
        for number in SIGNALS:
            previous[number] = signal.getsignal(number)
            signal.signal(number, handle)
    except ValueError:  # not the main thread
        return lambda: None

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)

    return restore
