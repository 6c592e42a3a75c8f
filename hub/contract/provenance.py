"""Provenance: every sector's part of an answer says where and when it came from.

Each sector's namespace type on `Person` carries `source { sector asOf }` (`source_field`): the
sector that answered, and the moment the request read its records. One moment per request, the
same on both execution paths and for every sector of the answer, so an answer is one consistent
picture and says as of when.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from hub.contract.direct import DIRECT

SOURCE = "rabt.source"
"""The metadata key of a `source` field: the sector it names (the compiled path answers it too)."""


@strawberry.federation.type(shareable=True, description="Where and when a sector's part of an answer came from.")
class Source:
    sector: str = strawberry.field(description="The sector whose records these are (passports, traffic, …).")
    as_of: dt.datetime = strawberry.field(
        description="When they were read (UTC, whole seconds): one moment for the whole request."
    )


def source_field(sector: str) -> StrawberryField:
    """The `source` field of `sector`'s namespace type (whoever may read the namespace reads it)."""

    def resolve(root: Any, info: strawberry.Info) -> Source:
        return Source(sector=sector, as_of=info.context.as_of())

    return strawberry.field(
        resolve,
        description=(
            f"Where and when this part of the answer came from: the {sector} sector, as of the request's read. "
            "Readable by whoever may read this namespace."
        ),
        metadata={SOURCE: sector, **DIRECT},
    )


def as_of_now() -> dt.datetime:
    """The moment a request reads: now, UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
