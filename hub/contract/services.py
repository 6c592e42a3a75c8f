"""Services people come for, and the rules that refuse them, each explained by the sector that owns it.

A sector declares its `Service`s (what can be asked for a person, by whom, and what blocks it now)
and the `Check`s it answers for other sectors' rules (traffic: "has unpaid violations"). A
service's rules ask other sectors only through `SectorContext.check`, by name: no sector imports
another, and the hub batches every check of a request like any other read. `eligibility` answers
with exactly the blockers the service's mutation refuses with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from hub.contract.access import ActingAs
from hub.contract.errors import Code, RabtError
from hub.contract.idempotency import Keyed
from hub.contract.ids import ascii_digits
from hub.contract.loading import Loads
from hub.contract.values import Blocker, Refusal

if TYPE_CHECKING:
    from hub.contract.context import SectorContext

P = TypeVar("P")


@dataclass(frozen=True)
class Rules:
    """One sector's blockers: code -> (English, Arabic, how to resolve in English, in Arabic)."""

    sector: str
    texts: Mapping[str, tuple[str, str, str, str]]

    def __call__(self, code: str) -> Blocker:
        english, arabic, resolve, resolve_ar = self.texts[code]
        return Blocker(
            sector=self.sector,
            code=code,
            message=english,
            message_ar=arabic,
            resolve_by=resolve,
            resolve_by_ar=resolve_ar,
        )


@dataclass(frozen=True)
class Check:
    """A condition a sector answers about one person for other sectors' rules: `loads` reads what
    it needs (batched per request), `blocker` turns that into the sector's own Blocker, or None."""

    name: str
    loads: Loads[Any, Any]
    blocker: Callable[[Any], Blocker | None]


async def _none(context: SectorContext, person_id: str) -> list[Blocker]:
    return []


@dataclass(frozen=True)
class Item:
    """The one thing of a person's a service acts on (a vehicle, an establishment's permit), named
    by its number: `eligibility(personId, service, item)` and the mutation's input both carry it.

    `blockers(context, person_id, key)` lists the rules about that thing, checked after the
    service's rules about the person; a thing that is not the person's is a blocker too (its
    owner's sector says so), never an error that tells a caller whose it is."""

    description: str
    digits: tuple[int, int]
    blockers: Callable[[SectorContext, str, str], Awaitable[list[Blocker]]]
    prefix: str = ""

    def key(self, text: str, argument: str) -> str:
        """The number as stored, or BAD_USER_INPUT: `prefix` (any case) then `digits` (fewest,
        most) digits, Eastern Arabic ones accepted."""
        value = ascii_digits(text.strip()).upper()
        digits = value.removeprefix(self.prefix)
        fewest, most = self.digits
        if not (
            value.startswith(self.prefix) and digits.isascii() and digits.isdigit() and fewest <= len(digits) <= most
        ):
            wanted = f"{self.prefix} then " if self.prefix else ""
            count = f"{fewest}" if fewest == most else f"{fewest} to {most}"
            raise RabtError(Code.BAD_USER_INPUT, f"{argument}: {wanted}{count} digits.", argument=argument)
        return value


@dataclass(frozen=True)
class Service:
    """Something a person can ask a sector for (renew an iqama, a licence, an ID card).

    `blockers(context, person_id)` lists every rule about the person that refuses it now, in the
    order the mutation checks them; then, for a service that acts on one thing of theirs (`item`),
    the rules about that thing. Empty means allowed. Officers of the sector may ask for anyone;
    individuals in the capacities `allow` names (the person, a guardian, a sponsor).

    `asks` names every other sector's `Check` its rules ask (`SectorContext.check`): in the
    federated shape the owning sector answers a check only to the parts whose services declare it."""

    name: str
    sector: str
    description: str
    allow: frozenset[ActingAs]
    blockers: Callable[[SectorContext, str], Awaitable[list[Blocker]]] = _none
    item: Item | None = None
    asks: frozenset[str] = frozenset()

    def item_key(self, text: str, argument: str) -> str:
        """The key of the thing a mutation's input names (`Item.key`), for a service with an item."""
        if self.item is None:
            raise TypeError(f"{self.name} acts on no item")
        return self.item.key(text, argument)

    async def rules(self, context: SectorContext, person_id: str, item: str | None = None) -> list[Blocker]:
        """Every blocker now: the person's, then the item's (`item` is its key, already checked)."""
        found = await self.blockers(context, person_id)
        if self.item is not None and item is not None:
            found += await self.item.blockers(context, person_id, item)
        return found


async def refused(context: SectorContext, service: Service, person_id: str, item: str | None = None) -> Refusal | None:
    """What a service's mutation does first: FORBIDDEN unless the caller may ask for it for this
    person, then the refusal listing every rule that blocks it now, or None when nothing does.
    `item` is the key of the thing a service with an `Item` acts on (`Item.key` checked it)."""
    await context.require_write(person_id, service.sector, allow=service.allow)
    blockers = await service.rules(context, person_id, item)
    return blocked(blockers) if blockers else None


async def serve(
    context: SectorContext,
    service: Service,
    person_id: str,
    data: Keyed,
    answer: type[P],
    work: Callable[[AsyncSession], Awaitable[P | Refusal]],
    item: str | None = None,
) -> P | Refusal:
    """A service's mutation: FORBIDDEN unless the caller may ask for it for this person; then the
    answer kept under the input's idempotency key, if this caller sent it before; then the refusal
    listing every rule that blocks it now (as `eligibility`; `item` is the key of the thing a
    service with an `Item` acts on); then `work` in one transaction, its answer kept with it
    (`SectorContext.once`)."""
    await context.require_write(person_id, service.sector, allow=service.allow)
    return await context.once(data, answer, work, rules=lambda: service.rules(context, person_id, item))


def blocked(blockers: list[Blocker]) -> Refusal:
    """The mutation's refusal for these blockers: the first one's code and messages, all of them listed."""
    first = blockers[0]
    return Refusal(code=first.code, message=first.message, message_ar=first.message_ar, blockers=blockers)
