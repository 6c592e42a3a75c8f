"""What a request may cost before it runs, and the caches that make repeated documents cheap."""

from __future__ import annotations

from collections.abc import Callable

from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4_000


def schema_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories, never instances: an instance would be shared by concurrent requests."""
    return [
        lambda: ParserCache(maxsize=1_000),
        lambda: ValidationCache(maxsize=1_000),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
    ]
