"""A typed form of strawberry's `@strawberry.field(...)` for resolvers written as methods.

strawberry types `strawberry.field(description=...)` as returning Any (one overload must also serve
`name: str = strawberry.field(...)`), so under mypy --strict every resolver decorated with it would
lose its types. Handing strawberry the resolver in the same call picks its typed overload."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField


def resolver_field(
    *,
    description: str,
    metadata: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], StrawberryField]:
    """`@resolver_field(description=...)` on a method: the method resolves a field so described."""

    def field_of(resolver: Callable[..., Any]) -> StrawberryField:
        return strawberry.field(resolver, description=description, metadata=metadata)

    return field_of
