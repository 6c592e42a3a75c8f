"""What a sector's resolvers receive: `info.context` as a typed protocol, and references to people.

The hub's request context satisfies `SectorContext`; a sector sees nothing else of it, so the
hub may change how it loads, writes and decides without a sector noticing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, overload

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from hub.contract.access import ActingAs
from hub.contract.idempotency import Keyed
from hub.contract.loading import Loads
from hub.contract.new_people import NewPerson
from hub.contract.notices import NoticeKind
from hub.contract.values import Blocker, Refusal

T = TypeVar("T")
P = TypeVar("P")


class SectorContext(Protocol):
    """The request, as a sector's resolver may use it."""

    def load(self, loads: Loads[Any, T], key: Any) -> Awaitable[T]:
        """`loads` for one key, batched with the request's other keys (one statement per batch)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """One transaction on the sector's database for a mutation's reads and writes; it commits
        when the block ends without an error and rolls back otherwise."""
        ...

    async def require_write(self, person_id: str, sector: str, *, allow: frozenset[ActingAs]) -> ActingAs:
        """The capacity in which the caller may change `sector` records of `person_id`, or FORBIDDEN.
        Officers of the sector and services scoped `<sector>:write` always may; an individual only in
        the capacities `allow` names (e.g. a sponsor for their worker). `person_id` may be the
        unified number of the establishment the request acts for: its user writes its own record
        as `ESTABLISHMENT`, when `allow` names it."""
        ...

    async def acting_for(self) -> str | None:
        """The establishment (unified number) this request acts for, once the caller's authorisation
        holds today: None when it acts for none; FORBIDDEN when the caller is not an active
        authorised user of it. Reads of people's data are decided as that establishment's."""
        ...

    async def require_known_person(self, person_id: str, argument: str = "personId") -> None:
        """NOT_FOUND (naming `argument`) unless the identity registry knows this ID (e.g. before an
        officer's write, or a party a mutation names: then in that person's log too)."""
        ...

    def forget_loaded(self) -> None:
        """After a write: later reads in the same request see it."""
        ...

    async def register_person(self, session: AsyncSession, person: NewPerson) -> str:
        """Enters `person` in the identity registry within the mutation's transaction `session`,
        under a new valid ID of their kind (a citizen's starts with 1), and returns that ID. Only a
        sector whose manifest says `registers_people` may (its database role may insert there)."""
        ...

    def today(self) -> dt.date:
        """Today in Riyadh, the date every rule of the request is decided on."""
        ...

    def as_of(self) -> dt.datetime:
        """The moment this request reads the sectors' records (UTC, whole seconds): one for the
        whole request, which every sector's `source { asOf }` tells."""
        ...

    async def once(
        self,
        data: Keyed,
        answer: type[P],
        work: Callable[[AsyncSession], Awaitable[P | Refusal]],
        *,
        rules: Callable[[], Awaitable[list[Blocker]]] | None = None,
    ) -> P | Refusal:
        """A mutation's work (after its access check), kept under the input's idempotency key:
        the answer kept for this caller and key if there is one (IDEMPOTENCY_KEY_REUSED if it was
        for another input); else the refusal `rules` give, if any; else `work` in one transaction,
        its answer (of type `answer`) kept in that same transaction unless it is a refusal. Later
        reads of the request see what it wrote."""
        ...

    async def check(self, name: str, person_id: str) -> Blocker | None:
        """Another sector's `Check` named `name` (e.g. `traffic.unpaid_violations`) for one person:
        that sector's Blocker, or None. A check no enabled sector answers blocks, as unavailable."""
        ...

    def notify(self, sector: str, person_id: str, kind: NoticeKind, message_en: str, message_ar: str) -> None:
        """Keeps a notice for `person_id` (about their `sector` records) in the transaction open in
        `transaction()`: written with the mutation's own rows, or not at all when it rolls back, and
        pushed to the person's subscriptions once it committed. Outside a transaction: RuntimeError."""
        ...

    def touches(self, *person_ids: str) -> None:
        """The write open in `transaction()` changes, or answers with, these people's data too (a
        vehicle's buyer, a worker's sponsors, the other parent): its audit record names each of
        them, so each sees it in their own access log. Named without it: the mutation's
        `input.personId`, everyone `notify` tells, whoever `register_person` enters, and everyone
        the caller was allowed to write for. Outside a transaction: RuntimeError."""
        ...

    async def inquire(self) -> None:
        """A public inquiry (answered without sign-in) is about to read: counts one for the calling
        client, RATE_LIMITED past the hub's limit, before anything is read."""
        ...

    def inquired(self, name: str, person_id: str, sector: str, fields: frozenset[str]) -> None:
        """The public inquiry `name` read `fields` of `person_id`'s `sector` data: audited like any
        read, in that person's access log, whoever asked."""
        ...


Info = strawberry.Info[SectorContext, None]
"""The `info` of a sector's resolver."""

if TYPE_CHECKING:

    class Person(Protocol):
        """What the checker knows of the hub's `Person`, built above this layer: a person named by ID."""

        id: strawberry.ID


PersonRef = Annotated["Person", strawberry.lazy("hub.api.person")]
"""Annotate a field that returns a person with this; build its value with `person_ref(id)`."""

_person_type: list[Callable[[str], Person]] = []


def provide_person_type(build: Callable[[str], Person]) -> None:
    """The hub hands over how a `Person` is made once it has built the class (at import of
    `hub.api.person`): the contract never imports the layers above it."""
    _person_type[:] = [build]


@overload
def person_ref(person_id: str) -> Person: ...


@overload
def person_ref(person_id: str | None) -> Person | None: ...


def person_ref(person_id: str | None) -> Person | None:
    """The `Person` with this ID, for a field annotated `PersonRef` (its fields load lazily, and
    each is decided for that person in their own right)."""
    if person_id is None:
        return None
    if not _person_type:
        raise RuntimeError("hub.api.person is not built yet: no Person to refer to")
    return _person_type[0](person_id)


SUBJECT = "__rabt_subject__"
"""Where `of_person` records whose data a type's objects are: (field group, attribute)."""

C = TypeVar("C", bound=type)


def of_person(group: str, key: str = "person_id") -> Callable[[C], C]:
    """Marks a sector type whose objects are the data of the person in attribute `key` — someone
    other than the person whose namespace led to it (a sponsored worker's iqama, a member's entry
    in a family register). The hub opens the gate of `group` for that person wherever a field
    returns such an object: a list keeps the objects the caller may read, a single object is null
    with FORBIDDEN otherwise, and every object kept is audited for its own person.

    By convention a sector type's `person_id` attribute names whose data it is; a type reached
    from a namespace that carries someone else's `person_id` must be marked (a test walks the
    schema for that)."""

    def mark(cls: C) -> C:
        setattr(cls, SUBJECT, (group, key))
        return cls

    return mark
