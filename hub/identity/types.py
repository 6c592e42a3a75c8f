"""Person's own fields (identity), resolved from the registry after the identity access check."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, Self, TypeVar

import strawberry

from hub.access.gate import Gate
from hub.contract import (
    IDENTITY,
    IDENTITY_DETAILS,
    ActingAs,
    CalendarDate,
    Code,
    InLanguage,
    Language,
    Loads,
    RabtError,
    Sex,
    described_enum,
    parse_person_id,
    resolver_field,
)
from hub.contract.direct import DIRECT
from hub.identity.loaders import person_by_id
from hub.identity.records import IdentityRecord

T = TypeVar("T")


@described_enum(
    "Whether a person is a citizen, a resident (iqama holder) or a visitor.",
    {
        "CITIZEN": "A Saudi citizen, known by a national ID starting with 1.",
        "RESIDENT": "A foreign resident holding an iqama, known by an iqama number starting with 2.",
        "VISITOR": "A visitor on a visa, known by a border number starting with 3.",
    },
)
class PersonKind(enum.Enum):
    CITIZEN = "citizen"
    RESIDENT = "resident"
    VISITOR = "visitor"


class IdentityContext(Protocol):
    """What identity's fields use of the request context (the hub's `RequestContext`)."""

    gate: Gate

    def load(self, loads: Loads[Any, T], key: Any) -> Awaitable[T]: ...


Info = strawberry.Info[IdentityContext, None]


def identity_field(
    person: PersonCore, info: Info, field: str, value: Callable[[IdentityRecord], T], group: str = IDENTITY
) -> Any:
    """`value` of the person's registry row, noted in the audit. At once when the field that found
    the person handed its row over (`PersonCore.identity`: found after the identity check, whose
    decision this request keeps), so graphql-core completes the field with nothing to await; else
    a coroutine that checks and reads first (`identity_of`)."""
    record = person.identity
    gate = info.context.gate
    decision = gate.decided(person.id, group) if record is not None else None
    if record is None or not isinstance(decision, ActingAs):
        return _value_after(identity_of(person.id, info, field, group), value)
    gate.open(person.id, group, decision, {field})
    return value(record)


async def _value_after(record: Awaitable[IdentityRecord], value: Callable[[IdentityRecord], T]) -> T:
    return value(await record)


async def identity_of(person_id: str, info: Info, field: str, group: str = IDENTITY) -> IdentityRecord:
    """The person's registry row, after the gate of `group` opened for `field`."""
    context = info.context
    gate = context.gate
    gate.open(person_id, group, await gate.decide(person_id, group), {field})
    record = await context.load(person_by_id, person_id)
    if record is None:  # rows are never deleted; a dangling reference is a data error
        raise LookupError(f"no identity row for a referenced person ({len(person_id)} digits)")
    return record


DETAIL_FIELDS = frozenset({"sex", "bornOn", "mobile"})
"""The fields of the `identity:details` group; the others recognise the person."""

DETAILS = (
    "Null, with a FORBIDDEN error, for a caller who may only recognise the person (a sponsor reads "
    "their worker's ID and names, not their personal details)."
)


@strawberry.type(name="PersonCore")
class PersonCore:
    """The fields of `Person` that the hub owns; hub.api.person adds one namespace field per sector.
    Never exposed under this name: only `Person`, its subclass, is in a schema."""

    id: strawberry.ID = strawberry.field(
        description="The 10-digit ID: national ID (starts with 1), iqama (2) or border number (3)."
    )
    # The registry row, when the field that found the person read it after the identity check.
    identity: strawberry.Private[IdentityRecord | None] = None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, **others: Any) -> Self:
        """A federation gateway names a person by ID; fields load (and are checked) as usual. A
        malformed representation is that entity's error with a stable code, not an internal one."""
        if others:
            message = f"representations: a Person is named by `id` alone, not {sorted(others)}."
            raise RabtError(Code.BAD_USER_INPUT, message, argument="representations")
        return cls(id=strawberry.ID(parse_person_id(id, "representations.id")))

    # Each field is a plain function, called by graphql-core itself (`hub.contract.direct`), that may hand
    # it a coroutine (`identity_field`).
    @resolver_field(description="Whether the person is a citizen, a resident or a visitor.", metadata=DIRECT)
    def kind(self, info: Info) -> PersonKind:
        return identity_field(self, info, "kind", lambda record: PersonKind(record.kind))  # type: ignore[no-any-return]

    @resolver_field(description="Full name in Arabic, as on the ID card or iqama.", metadata=DIRECT)
    def name_ar(self, info: Info) -> str:
        return identity_field(self, info, "nameAr", lambda record: record.name_ar)  # type: ignore[no-any-return]

    @resolver_field(description="Full name in English (Latin letters), as on the passport.", metadata=DIRECT)
    def name_en(self, info: Info) -> str:
        return identity_field(self, info, "nameEn", lambda record: record.name_en)  # type: ignore[no-any-return]

    @resolver_field(description="Full name in the language asked for.")
    def name(self, info: Info, language: InLanguage = Language.EN) -> str:
        return identity_field(  # type: ignore[no-any-return]
            self, info, "name", lambda record: record.name_ar if language is Language.AR else record.name_en
        )

    @resolver_field(description=f"Sex as recorded in the civil registry. {DETAILS}", metadata=DIRECT)
    def sex(self, info: Info) -> Sex | None:
        return identity_field(  # type: ignore[no-any-return]
            self, info, "sex", lambda record: Sex(record.sex), IDENTITY_DETAILS
        )

    @resolver_field(description=f"Date of birth, Gregorian and Hijri. {DETAILS}", metadata=DIRECT)
    def born_on(self, info: Info) -> CalendarDate | None:
        return identity_field(  # type: ignore[no-any-return]
            self, info, "bornOn", lambda record: CalendarDate(gregorian=record.birth_on), IDENTITY_DETAILS
        )

    @resolver_field(description="Nationality, ISO 3166-1 alpha-3 (SAU for citizens).", metadata=DIRECT)
    def nationality(self, info: Info) -> str:
        return identity_field(self, info, "nationality", lambda record: record.nationality)  # type: ignore[no-any-return]

    @resolver_field(
        description=f"Registered mobile number (+9665XXXXXXXX); null for children without one. {DETAILS}",
        metadata=DIRECT,
    )
    def mobile(self, info: Info) -> str | None:
        return identity_field(  # type: ignore[no-any-return]
            self, info, "mobile", lambda record: record.mobile, IDENTITY_DETAILS
        )
