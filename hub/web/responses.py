"""What the GraphQL endpoint answers besides an execution's result: refusals with their HTTP
status and stable `extensions.code`, the JSON body, and the codes an answer carries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from hub.contract import IDENTITY
from hub.contract.errors import Code

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


class RequestRefused(Exception):
    """A request refused before its document is looked at, with its HTTP status; `extensions` name
    what was wrong (`header`, `field`), `close` ends the connection (a body left unread), `allow`
    is a 405's `Allow` header."""

    def __init__(
        self, status: int, code: Code, message: str, *, close: bool = False, allow: str = "POST", **extensions: str
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.close, self.allow, self.extensions = close, allow, extensions

    def response(self, media: str, request_id: str) -> Response:
        headers = {"x-request-id": request_id}
        if self.status == 405:
            headers["allow"] = self.allow
        if self.close:
            headers["connection"] = "close"
        return json_response(
            {"errors": [error_entry(self.message, self.code, **self.extensions)]}, self.status, media, headers
        )


def media_of(request: Request) -> str:
    """The media type an answer is written in: GraphQL-over-HTTP's when the client's Accept takes it
    at least as gladly as JSON, else JSON (also for an Accept naming neither, as the spec allows).
    As HTTP has it, media types are compared without case and `q=0` means "not this one"."""
    return _media_for(request.headers.get("accept", ""))


@lru_cache(maxsize=64)  # clients send a few Accept values, each with every request
def _media_for(accept: str) -> str:
    weights: dict[str, float] = {}
    for entry in accept.lower().split(","):
        media, *parameters = (part.strip() for part in entry.split(";"))
        weights[media] = max(weights.get(media, 0.0), _quality(parameters))
    wanted = weights.get(GRAPHQL_RESPONSE, 0.0)
    plain = max(weights.get(JSON, 0.0), weights.get("application/*", 0.0), weights.get("*/*", 0.0))
    return GRAPHQL_RESPONSE if wanted > 0 and wanted >= plain else JSON


def _quality(parameters: Sequence[str]) -> float:
    """An Accept entry's `q`: 1 when absent, unreadable or out of 0 to 1."""
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                return 1.0
            return quality if 0.0 <= quality <= 1.0 else 1.0
    return 1.0


def codes_of(errors: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The errors' `extensions.code`s, for the access line and the metrics (never their messages)."""
    return tuple(str((error.get("extensions") or {}).get("code", "ERROR")) for error in errors)


def identity_unavailable(body: Mapping[str, Any]) -> bool:
    for error in body.get("errors") or ():
        extensions = error.get("extensions") or {}
        if extensions.get("code") == Code.SECTOR_UNAVAILABLE.value and extensions.get("sector") == IDENTITY:
            return True
    return False


def error_entry(message: str, code: Code, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code.value, **extensions}}


def json_response(body: dict[str, Any], status: int, media: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media, headers=dict(headers or {}))
