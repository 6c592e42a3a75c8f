"""A finished execution, from either path, and how its errors are written: one shape for both."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

from hub.audit.entries import AuditBatch
from hub.contract import Code
from hub.data.sectors import is_outage

log = logging.getLogger("rabt.api")


@dataclass(frozen=True)
class Answer:
    """A finished execution, from either path: the response body (serialised with orjson), the audit
    batch the endpoint writes before responding, and the HTTP status."""

    body: dict[str, Any]
    audit: AuditBatch
    status: int = 200


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    formatted = error.formatted
    extensions = dict(formatted.get("extensions") or {})
    if not extensions.get("code"):
        original = error.original_error
        if original is not None and is_outage(original):
            log.warning("a database could not be reached in %s (request %s): %r", error.path, request_id, original)
            formatted["message"] = "The service cannot read this now; try again shortly."
            extensions["code"] = Code.SERVICE_UNAVAILABLE.value
            extensions["retryable"] = True
        elif original is not None and not isinstance(original, GraphQLError):
            log.error("unexpected error in %s (request %s)", error.path, request_id, exc_info=original)
            formatted["message"] = f"Internal error; quote request id {request_id} to support."
            extensions["code"] = Code.INTERNAL_ERROR.value
        elif error.message.startswith("Syntax Error"):
            extensions["code"] = Code.GRAPHQL_PARSE_FAILED.value
        elif error.message.startswith("Variable '$"):
            extensions["code"] = Code.BAD_USER_INPUT.value
            formatted["message"] = _json_words(error.message)
        elif error.path is None:
            extensions["code"] = Code.GRAPHQL_VALIDATION_FAILED.value
        else:
            extensions["code"] = Code.BAD_USER_INPUT.value
    formatted["extensions"] = extensions
    return dict(formatted)


# graphql-core names the values a variable was refused for as Python writes them; clients sent JSON.
_JSON_WORDS = re.compile(r"(not to be |value: )(None|True|False)\b")
_JSON = {"None": "null", "True": "true", "False": "false"}


def _json_words(message: str) -> str:
    return _JSON_WORDS.sub(lambda found: found.group(1) + _JSON[found.group(2)], message)


def error_order(error: Mapping[str, Any]) -> tuple[Any, ...]:
    path = error.get("path") or []
    locations = error.get("locations") or []
    first = locations[0] if locations else {"line": 0, "column": 0}
    return (
        tuple((isinstance(part, int), str(part) if isinstance(part, str) else f"{part:09d}") for part in path),
        first["line"],
        first["column"],
        error.get("message", ""),
    )
