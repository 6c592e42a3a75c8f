"""Error codes a client can rely on. The code is the contract; messages may be reworded."""

from __future__ import annotations

import enum
from typing import Any

from graphql import GraphQLError


class Code(enum.StrEnum):
    INVALID_ID = "INVALID_ID"
    INVALID_NUMBER = "INVALID_NUMBER"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    BAD_REQUEST = "BAD_REQUEST"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    TOO_MANY_IDS = "TOO_MANY_IDS"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    GATEWAY_SIGNATURE_REQUIRED = "GATEWAY_SIGNATURE_REQUIRED"
    PURPOSE_REQUIRED = "PURPOSE_REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    TRUSTED_DOCUMENT_REQUIRED = "TRUSTED_DOCUMENT_REQUIRED"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    SECTOR_UNAVAILABLE = "SECTOR_UNAVAILABLE"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class RabtError(GraphQLError):
    """An error a client caused or may act on; it always carries `extensions.code`."""

    def __init__(self, code: Code, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code.value, **extensions})
        self.code = code


class SectorUnavailable(RabtError):
    """A sector whose data cannot be read now (down, slow past its budget, out of connections):
    its fields are null with this error, the rest of the answer stands. `identity` unavailable
    makes the whole answer a 503 (`SERVICE_UNAVAILABLE`): a null person would read as unknown."""

    def __init__(self, sector: str) -> None:
        super().__init__(
            Code.SECTOR_UNAVAILABLE,
            f"The {sector} sector cannot answer now; try again shortly.",
            sector=sector,
            retryable=True,
        )
        self.sector = sector
