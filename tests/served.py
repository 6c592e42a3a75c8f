"""An ASGI app served for real by uvicorn on a free loopback port, for tests that need the wire
(WebSockets, a Node client, the server's own protocol)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


@contextlib.asynccontextmanager
async def served(app: Any, *, lifespan: str = "on", **options: Any) -> AsyncIterator[int]:
    """The port `app` listens on until the block ends (uvicorn's `options` passed on)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan=lifespan, log_level="warning", **options)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await serving
