"""Python calls per request, counted by cProfile in this process: exact and repeatable where times
on a shared machine are not, so a change to the request path can be weighed before the load runs.

Each call goes straight to the ASGI app (no HTTP client, no server), one request at a time, so the
count is the app's work plus a few calls of this harness. One at a time, every audit append holds
one request's record: under load concurrent requests share appends.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
from typing import Any

from bench.scenarios import Call


async def asgi_post(app: Any, call: Call) -> tuple[int, bytes]:
    """POST `call` to an ASGI app; its status and body."""
    messages: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": call.body, "more_body": False}
        await asyncio.Event().wait()  # the body was sent whole: nothing more until the app is done
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    headers = [(b"content-type", b"application/json")]
    headers += [(name.encode(), value.encode()) for name, value in call.headers]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": call.path,
        "raw_path": call.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return messages[0]["status"], body


async def calls_per_request(app: Any, call: Call, requests: int, warm: int = 1) -> float:
    """The Python calls (function calls, builtins included) one request makes, averaged over
    `requests` sent after `warm` unmeasured ones (caches filled, connections opened, plain text
    seen often enough to be planned, as under load)."""
    for _ in range(warm):
        await asgi_post(app, call)
    profile = cProfile.Profile()
    profile.enable()
    try:
        for _ in range(requests):
            status, _ = await asgi_post(app, call)
            if status != 200:
                raise RuntimeError(f"{call.path} answered {status} while counting calls")
    finally:
        profile.disable()
    return pstats.Stats(profile).total_calls / requests  # type: ignore[attr-defined,no-any-return]
