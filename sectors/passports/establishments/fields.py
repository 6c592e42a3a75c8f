"""Establishments (Absher Business): `establishment(unifiedNumber:)` for its authorised users.

A company sponsors under its unified number and acts through its authorised users: a user acting
for it (`X-On-Behalf-Of`, checked on every request) reads its workers' passports records and asks
the sponsor's services for them; every such read and write is audited with the establishment."""

from __future__ import annotations

import base64
import dataclasses
from typing import Annotated

import strawberry
from strawberry.types.field import StrawberryField

from hub.contract import (
    Code,
    Info,
    PersonRef,
    RabtError,
    of_person,
    parse_unified_number,
    person_ref,
    resolver_field,
    row_by,
    rows_by,
)
from sectors.passports.models import EstablishmentRow, IqamaRow
from sectors.passports.types import Iqama

MAX_PAGE = 100

_iqamas = IqamaRow.__table__
workers_by_establishment = rows_by(
    Iqama, _iqamas, "sponsor_id", order_by=[_iqamas.c.number], where=_iqamas.c.status != "cancelled"
)
"""The iqamas an establishment sponsors, but cancelled ones (the worker left), by iqama number."""


@dataclasses.dataclass
class _EstablishmentRecord:
    unified_number: str
    name_ar: str
    name_en: str


_establishments = EstablishmentRow.__table__
establishment_by_number = row_by(
    _EstablishmentRecord, _establishments, "unified_number", order_by=[_establishments.c.unified_number]
)


@of_person("passports")
@strawberry.type(description="A worker an establishment sponsors, and on what iqama.")
class EstablishmentWorker:
    iqama: Iqama = strawberry.field(description="The worker's iqama, naming the establishment as sponsor.")
    person_id: strawberry.Private[str]

    @resolver_field(description="The worker: their ID and names, and their passports records.")
    def person(self) -> PersonRef | None:
        return person_ref(self.person_id)


@strawberry.type(description="A page of an establishment's workers, in order of iqama number.")
class EstablishmentWorkerPage:
    entries: list[EstablishmentWorker] = strawberry.field(description="In order of iqama number.")
    next_cursor: str | None = strawberry.field(description="Pass as `after` for the next page; null on the last.")


First = Annotated[int, strawberry.argument(description=f"How many to answer, 1 to {MAX_PAGE}.")]
After = Annotated[
    str | None, strawberry.argument(description="The `nextCursor` of the page before; omitted for the first page.")
]
UnifiedNumber = Annotated[
    strawberry.ID,
    strawberry.argument(
        description="The establishment's unified number (الرقم الموحد): ten digits starting with 7. "
        "Eastern Arabic digits are accepted."
    ),
]


@strawberry.type(
    description=("An establishment (منشأة) that sponsors workers, as its authorised users see it while acting for it.")
)
class Establishment:
    unified_number: strawberry.ID = strawberry.field(
        description="Its unified number (الرقم الموحد): ten digits starting with 7."
    )
    name_ar: str = strawberry.field(description="Its name, in Arabic.")
    name_en: str = strawberry.field(description="Its name, in English.")

    @resolver_field(
        description=(
            f"The workers whose iqama names this establishment as sponsor (cancelled iqamas left out), in order "
            f"of iqama number, at most {MAX_PAGE} a page. Each is read and audited as the establishment's worker."
        )
    )
    async def workers(self, info: Info, first: First = 20, after: After = None) -> EstablishmentWorkerPage:
        if not 1 <= first <= MAX_PAGE:
            raise RabtError(Code.BAD_USER_INPUT, f"first: between 1 and {MAX_PAGE}.", argument="first")
        since = _decode(after) if after is not None else ""
        today = info.context.today()
        iqamas = await info.context.load(workers_by_establishment, str(self.unified_number))
        held = [iqama for iqama in iqamas if iqama.number > since and iqama.issued_on.gregorian <= today]
        page = held[:first]
        more = len(held) > first
        return EstablishmentWorkerPage(
            entries=[EstablishmentWorker(iqama=iqama, person_id=iqama.number) for iqama in page],
            next_cursor=_encode(page[-1].number) if more else None,
        )


def _encode(number: str) -> str:
    return base64.urlsafe_b64encode(f"worker:{number}".encode()).decode()


def _decode(cursor: str) -> str:
    try:
        kind, number = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        if kind != "worker" or not (number.isascii() and number.isdigit()):
            raise ValueError(kind)
        return number
    except (ValueError, UnicodeDecodeError):
        raise RabtError(Code.BAD_USER_INPUT, "after: not a cursor this field returned.", argument="after") from None


async def establishment(info: Info, unified_number: UnifiedNumber) -> Establishment | None:
    number = parse_unified_number(unified_number, "unifiedNumber")
    acting = await info.context.acting_for()
    if acting != number:
        raise RabtError(
            Code.FORBIDDEN,
            f"Only its authorised users read establishment {number}, acting for it: send X-On-Behalf-Of: {number}.",
            argument="unifiedNumber",
        )
    found = await info.context.load(establishment_by_number, number)
    if found is None:
        return None
    return Establishment(
        unified_number=strawberry.ID(found.unified_number), name_ar=found.name_ar, name_en=found.name_en
    )


def fields() -> dict[str, StrawberryField]:
    return {
        "establishment": strawberry.field(
            establishment,
            description=(
                "An establishment (Absher Business) and its workers, for its authorised users acting for it "
                "(the X-On-Behalf-Of header naming it; the authorisation is checked on every request): FORBIDDEN "
                "for anyone else, INVALID_ID for a malformed unified number."
            ),
        )
    }
