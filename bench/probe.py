"""In-process checks that keep the figures honest, made once per scenario before the load:

- SQL statements per request: the hub app is built in this process, a `Database.on_statement`
  listener counts what one request sends, as text (the loaders' SELECTs, whether through
  SQLAlchemy or straight through the driver, the audit append's lock, tip and COPYs…);
- which path answered each request (the compiled path's `stats`: "compiled", "fallback: …");
- the floor answers with the same data as the hub for the same IDs, and sends the same SQL text
  as the loaders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from bench.calls import calls_per_request
from bench.floor import Fetcher, create_floor_app
from bench.scenarios import Call
from hub.access.keys import SigningKey
from hub.access.tokens import PublicKeys, TokenIssuer, TokenVerifier
from hub.settings import Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from hub.web.http import GraphQLEndpoint


@dataclass
class Answer:
    """One request's response body and the SQL statements the server sent for it."""

    status: int
    body: dict[str, Any]
    statements: list[str] = field(default_factory=list)
    path: str = ""  # the hub's answers: "general", "compiled" or "fallback: <reason>"
    raw: bytes = b""
    calls: float | None = None  # Python calls per request, when counted (bench.calls)

    @property
    def count(self) -> int:
        return len(self.statements)


def _headers(call: Call) -> dict[str, str]:
    return {"content-type": "application/json", **dict(call.headers)}


def endpoint_of(app: Starlette) -> GraphQLEndpoint:
    """The `GraphQLEndpoint` behind a hub app's /graphql route (`hub.web.routes.graphql_handler`
    keeps it in the route function's closure; the bench reads its compiled path, APQ store and audit
    writer)."""
    from hub.web.http import GraphQLEndpoint

    for route in app.routes:
        function = getattr(route, "endpoint", None)
        for cell in getattr(function, "__closure__", None) or ():
            if isinstance(cell.cell_contents, GraphQLEndpoint):
                return cell.cell_contents
    raise RuntimeError("no GraphQLEndpoint behind the app's routes: has hub.web.routes.graphql_handler changed?")


def _path(before: Counter[str], after: Counter[str]) -> str:
    grown = after - before
    return next(iter(grown), "general")


async def ask_hub(
    settings: Settings,
    key: SigningKey,
    calls: Mapping[str, Call],
    setup: Sequence[Call] = (),
    counted: Collection[str] = (),
    count: int = 0,
) -> dict[str, Answer]:
    """Each call sent once to a hub built in this process, with the statements it caused and the
    path that answered it. `setup` is sent first, uncounted (APQ registrations). The calls named in
    `counted` are then sent `count` more times, their Python calls counted (`bench.calls`)."""
    from hub.web.app import create_app
    from hub.web.hub import Hub

    hub = Hub.build(settings)
    # The key the bench's server processes were given
    hub.signer, hub.verifier = TokenIssuer(key), TokenVerifier(PublicKeys({key.kid: key.public}))
    app = create_app(settings, hub)
    endpoint = endpoint_of(app)
    compiled = endpoint.compiled
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    answers: dict[str, Answer] = {}
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        stop_listening = hub.db.on_statement(listen)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:

                async def send(call: Call) -> Answer:
                    seen.clear()
                    stats = Counter(compiled.stats) if compiled is not None else Counter()
                    response = await client.post(call.path, content=call.body, headers=_headers(call))
                    answer = Answer(response.status_code, orjson.loads(response.content), list(seen))
                    answer.raw = response.content
                    if compiled is not None:
                        answer.path = _path(stats, compiled.stats)
                    else:
                        answer.path = "general"
                    return answer

                for call in setup:
                    registered = await client.post(call.path, content=call.body, headers=_headers(call))
                    if registered.status_code != 200 or b'"errors"' in registered.content:
                        raise RuntimeError(f"the APQ registration was refused: {registered.text[:500]}")
                for name, call in calls.items():
                    answers[name] = await send(call)
        finally:
            stop_listening()
        warm = 1 if compiled is None else compiled.plan_text_after + 1
        for name in counted if count else ():
            answers[name].calls = await calls_per_request(app, calls[name], count, warm)
    return answers


async def ask_floor(url: str, mode: str, calls: Mapping[str, Call], count: int = 0) -> dict[str, Answer]:
    """Each call sent once to a floor app built in this process (its statement count from its
    counter); with `count`, each then `count` more times, its Python calls counted."""
    app = create_floor_app(url, mode)
    answers: dict[str, Answer] = {}
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        for name, call in calls.items():
            before = Fetcher.statements
            response = await client.post(call.path, content=call.body, headers=_headers(call))
            answer = Answer(response.status_code, orjson.loads(response.content))
            answer.statements = ["(floor)"] * (Fetcher.statements - before)
            answers[name] = answer
        for name, call in calls.items() if count else ():
            answers[name].calls = await calls_per_request(app, call, count)
    return answers


def loader_selects(statements: Sequence[str]) -> list[str]:
    """The loaders' SELECTs among what the hub sent (`SELECT … WHERE key IN (…)`; not the audit's
    lock, chain read and insert), in a stable order."""
    return sorted(
        s for s in statements if s.lstrip().upper().startswith("SELECT") and " IN (" in s and "audit_" not in s
    )


def same_data(hub: Answer, floor: Answer) -> bool:
    """The floor's `data` equals the hub's, value for value, and the hub reported no error."""
    return hub.status == 200 and "errors" not in hub.body and hub.body.get("data") == floor.body.get("data")
