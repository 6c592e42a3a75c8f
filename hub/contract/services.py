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
from hub.contract.idempotency import Keyed
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


@dataclass(frozen=True)
class Service:
    """Something a person can ask a sector for (renew an iqama, a licence, an ID card).

    `blockers(context, person_id)` lists every rule that refuses it now, in the order the mutation
    checks them; empty means allowed. Officers of the sector may ask for anyone; individuals in the
    capacities `allow` names (the person, a guardian, a sponsor)."""

    name: str
    sector: str
    description: str
    allow: frozenset[ActingAs]
    blockers: Callable[[SectorContext, str], Awaitable[list[Blocker]]]


async def refused(context: SectorContext, service: Service, person_id: str) -> Refusal | None:
    """What a service's mutation does first: FORBIDDEN unless the caller may ask for it for this
    person, then the refusal listing every rule that blocks it now, or None when nothing does."""
    await context.require_write(person_id, service.sector, allow=service.allow)
    blockers = await service.blockers(context, person_id)
    return blocked(blockers) if blockers else None


async def serve(
    context: SectorContext,
    service: Service,
    person_id: str,
    data: Keyed,
    answer: type[P],
    work: Callable[[AsyncSession], Awaitable[P | Refusal]],
) -> P | Refusal:
    """A service's mutation: FORBIDDEN unless the caller may ask for it for this person; then the
    answer kept under the input's idempotency key, if this caller sent it before; then the refusal
    listing every rule that blocks it now (as `eligibility`); then `work` in one transaction, its
    answer kept with it (`SectorContext.once`)."""
    await context.require_write(person_id, service.sector, allow=service.allow)
    return await context.once(data, answer, work, rules=lambda: service.blockers(context, person_id))


def blocked(blockers: list[Blocker]) -> Refusal:
    """The mutation's refusal for these blockers: the first one's code and messages, all of them listed."""
    first = blockers[0]
    return Refusal(code=first.code, message=first.message, message_ar=first.message_ar, blockers=blockers)
