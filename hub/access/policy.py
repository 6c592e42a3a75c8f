"""Who may read or write whose data, sector by sector. Deny is the default.

Decisions are made per (subject, sector) — never per leaf field — and the relations they need
(guardian, sponsor) are fetched in one batch per request through the sectors' RelationSources.

An individual acting for an establishment (`Principal.on_behalf_of`) is decided as that
establishment: once the caller's authorisation holds today (the `AUTHORISED_USER` relation, read
once per request), the establishment's own sponsor relation opens its workers' sponsoring sector
and what recognises them, in the capacity `ESTABLISHMENT`; nothing else, not even the caller's own
records (they drop the header for those).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from collections.abc import Callable, Container, Sequence

from aiodataloader import DataLoader

from hub.contract import IDENTITY, ActingAs, Code, RabtError, Reads, Relation, RelationSource
from hub.contract.access import sector_of
from hub.contract.calendar import riyadh_today
from hub.contract.errors import SectorUnavailable
from hub.contract.principal import Principal, Role
from hub.data.sectors import Stores, is_outage


class _Everything:
    def __contains__(self, _: object) -> bool:
        return True


OPENS: dict[Relation, Callable[[str], Container[str]]] = {
    Relation.GUARDIAN: lambda _declared: _Everything(),
    # The sponsoring sector's records, and what recognises the person (ID, names): not the rest of
    # identity (birth date, sex, mobile), nor other sectors (say, traffic violations).
    Relation.SPONSOR: lambda declared: (declared, IDENTITY),
    # The members' entries in the head's family register, and what recognises them.
    Relation.FAMILY_HEAD: lambda declared: (f"{declared}:register", IDENTITY),
}
"""The field groups each relation opens, given the sector that declared it."""


class Undecided(enum.Enum):
    """`Access.granted`'s answer when the decision needs the caller's relations, read from the database."""

    UNDECIDED = "undecided"


UNDECIDED = Undecided.UNDECIDED


Held = frozenset[tuple[Relation, str]]


class _RelationsOfViewer(DataLoader[str, tuple[Held, frozenset[str]]]):
    """subject ID -> the (relation, declaring sector) pairs the viewer holds over that subject, and
    the sectors whose relations could not be read (an outage: unknown, neither held nor not)."""

    def __init__(
        self,
        reads: Reads,
        viewer_id: str,
        sources: Sequence[tuple[str, RelationSource]],
        today: dt.date,
        stores: Stores | None,
    ) -> None:
        super().__init__()
        self._reads = reads
        self._viewer_id = viewer_id
        self._sources = sources
        self._today = today
        self._stores = stores

    async def batch_load_fn(self, subject_ids: Sequence[str]) -> list[tuple[Held, frozenset[str]]]:
        found: dict[str, set[tuple[Relation, str]]] = {subject: set() for subject in subject_ids}
        unavailable: set[str] = set()
        for sector, source in self._sources:
            try:
                subjects = await relation_fetch(
                    self._stores, self._reads, sector, source, self._viewer_id, list(found), self._today
                )
            except SectorUnavailable:
                unavailable.add(sector)
                continue
            for subject in subjects:
                if subject in found:
                    found[subject].add((source.relation, sector))
        down = frozenset(unavailable)
        return [(frozenset(found[subject]), down) for subject in subject_ids]


async def relation_fetch(
    stores: Stores | None,
    reads: Reads,
    sector: str,
    source: RelationSource,
    viewer_id: str,
    subject_ids: list[str],
    today: dt.date,
) -> set[str]:
    """`source.fetch` on `sector`'s database within its budget; SECTOR_UNAVAILABLE when it cannot
    be read."""
    if stores is None:
        return await source.fetch(reads, viewer_id, subject_ids, today)
    try:
        async with stores.timeout():
            await stores.enter(sector)
            return await source.fetch(stores.database(sector), viewer_id, subject_ids, today)
    except Exception as error:
        if is_outage(error):
            raise SectorUnavailable(sector) from error
        raise


class Access:
    """The per-request policy: decides, caches and explains every (subject, sector) read."""

    def __init__(
        self,
        principal: Principal,
        reads: Reads,
        sources: Sequence[tuple[str, RelationSource]],
        today: Callable[[], dt.date] = riyadh_today,
        stores: Stores | None = None,
    ) -> None:
        self.principal = principal
        self._stores = stores
        self._reads = reads
        # An authorisation opens nothing by itself: asked only for the establishment a request acts for.
        self._sources = [found for found in sources if found[1].relation is not Relation.AUTHORISED_USER]
        self._authorisations = [found for found in sources if found[1].relation is Relation.AUTHORISED_USER]
        self._today = today
        self._acting: asyncio.Future[bool] | None = None
        self._relations: _RelationsOfViewer | None = None
        self._decided: dict[tuple[str, str], ActingAs | None] = {}
        self._written: dict[tuple[str, str], ActingAs] = {}

    async def grant(self, subject_id: str, sector: str) -> ActingAs | None:
        """How the caller may read `sector` data of `subject_id`, or None when they may not."""
        decision = self.granted(subject_id, sector)
        if decision is UNDECIDED:
            decision = self._decided[(subject_id, sector)] = await self._by_relations(subject_id, sector)
        return decision

    def granted(self, subject_id: str, sector: str) -> ActingAs | Undecided | None:
        """`grant` where it needs no read: decided before in this request, or by the caller alone
        (their role, or the person being the caller). `UNDECIDED` when it depends on relations.
        A resolver that finds its decision here answers without a coroutine of its own."""
        key = (subject_id, sector)
        if key in self._decided:
            return self._decided[key]
        principal = self.principal
        if principal.role is not Role.INDIVIDUAL:
            decision = self.grant_by_role(sector)
        elif principal.person_id is None:
            decision = None
        elif subject_id == self.own_person:
            decision = ActingAs.SELF
        else:
            return UNDECIDED
        self._decided[key] = decision
        return decision

    @property
    def own_person(self) -> str | None:
        """Whose records this request reads as the caller's own (`SELF`): an individual's, unless they
        act for an establishment, which is decided as the establishment's (nothing of their own)."""
        principal = self.principal
        if principal.role is not Role.INDIVIDUAL or principal.on_behalf_of is not None:
            return None
        return principal.person_id

    async def require_write(self, subject_id: str, sector: str, *, allow: frozenset[ActingAs]) -> ActingAs:
        """A write on `sector` records of `subject_id`: always an officer of that sector or a
        service scoped `<sector>:write`; an individual only in the capacities the mutation allows
        (e.g. a sponsor issuing their worker's exit/re-entry visa)."""
        decision = required(await self._decide_write(subject_id, sector, allow), sector)
        self._written[(subject_id, sector)] = decision
        return decision

    async def related(self, first: str, second: str) -> bool:
        """Whether either person stands to the other in a relation some sector knows (guardian,
        sponsor), as of today: the relations the policy opens access by, asked both ways."""
        today = self._today()
        stores, reads = self._stores, self._reads
        for sector, source in self._sources:
            if await relation_fetch(stores, reads, sector, source, first, [second], today) or await relation_fetch(
                stores, reads, sector, source, second, [first], today
            ):
                return True
        return False

    def forget(self) -> None:
        """Lets go of the decisions made so far (`RequestContext.finish`); asked again, it decides again."""
        self._relations = None
        self._acting = None
        self._decided.clear()
        self._written.clear()

    def write_grant(self, subject_id: str, sector: str) -> ActingAs | None:
        """The capacity in which this request was allowed to write, for the audit (None: refused)."""
        return self._written.get((subject_id, sector))

    def write_grants(self) -> dict[tuple[str, str], ActingAs]:
        """Every (person, sector) this request was allowed to write, and in what capacity."""
        return dict(self._written)

    async def _decide_write(self, subject_id: str, sector: str, allow: frozenset[ActingAs]) -> ActingAs | None:
        principal = self.principal
        if principal.role is Role.OFFICER:
            return ActingAs.OFFICER if principal.sector == sector else None
        if principal.role is Role.SERVICE:
            return ActingAs.SERVICE if f"{sector}:write" in principal.scopes else None
        if principal.role is Role.INDIVIDUAL and subject_id == principal.on_behalf_of:
            # The establishment's own record (a new sponsor consenting to a transfer), written by its
            # user acting for it: as a person writes their own.
            allowed = ActingAs.ESTABLISHMENT in allow and await self._authorised()
            return ActingAs.ESTABLISHMENT if allowed else None
        if principal.role is Role.INDIVIDUAL:
            decision = await self.grant(subject_id, sector)
            return decision if decision in allow else None
        return None

    def grant_by_role(self, sector: str) -> ActingAs | None:
        """`grant` for a caller who is not an individual: decided by the role and the sector alone,
        whoever the person, reading nothing, so a wide answer needs one decision per sector."""
        principal = self.principal
        if principal.role is Role.OFFICER:
            return ActingAs.OFFICER if sector_of(sector) in (principal.sector, IDENTITY) else None
        if principal.role is Role.SERVICE:
            return ActingAs.SERVICE if sector_of(sector) in principal.scopes else None
        if principal.role is Role.INDIVIDUAL:
            raise ValueError("an individual's access depends on their relations: use grant()")
        return None  # anonymous callers and analysts never read a person

    async def acting_for(self) -> str | None:
        """The establishment this request acts for, its caller's authorisation checked: None when
        it acts for none; FORBIDDEN when the caller is not an active authorised user of it today;
        SECTOR_UNAVAILABLE when the authorisation cannot be read."""
        establishment = self.principal.on_behalf_of
        if establishment is None:
            return None
        if not await self._authorised():
            raise RabtError(
                Code.FORBIDDEN,
                f"You are not an authorised user of establishment {establishment}.",
                establishment=establishment,
            )
        return establishment

    async def _authorised(self) -> bool:
        """Whether the caller is an authorised user of `on_behalf_of` today: read once per request."""
        if self._acting is None:
            self._acting = asyncio.ensure_future(self._read_authorisation())
        return await asyncio.shield(self._acting)

    async def _read_authorisation(self) -> bool:
        principal = self.principal
        if principal.role is not Role.INDIVIDUAL or principal.person_id is None or principal.on_behalf_of is None:
            return False
        establishment, today = principal.on_behalf_of, self._today()
        for sector, source in self._authorisations:
            found = await relation_fetch(
                self._stores, self._reads, sector, source, principal.person_id, [establishment], today
            )
            if establishment in found:
                return True
        return False

    async def _by_relations(self, subject_id: str, sector: str) -> ActingAs | None:
        """An individual's access to someone else's data: through a relation that opens it; for
        an establishment, through the establishment's sponsor relation."""
        principal = self.principal
        assert principal.person_id is not None  # `granted` decided the rest
        viewer, capacities = principal.person_id, _PERSONAL
        if principal.on_behalf_of is not None:
            if not await self._authorised():
                return None
            viewer, capacities = principal.on_behalf_of, _ESTABLISHMENT
        if self._relations is None:
            wanted = {relation for relation, _ in capacities}
            sources = [found for found in self._sources if found[1].relation in wanted]
            self._relations = _RelationsOfViewer(self._reads, viewer, sources, self._today(), self._stores)
        relations, unavailable = await self._relations.load(subject_id)
        for relation, capacity in capacities:
            if any(held is relation and sector in OPENS[relation](declared) for held, declared in relations):
                return capacity
        # Fail closed, but say so: a relation that could have opened this sector was not readable.
        for declared, source in self._sources:
            if declared in unavailable and sector in OPENS[source.relation](declared):
                raise SectorUnavailable(declared)
        return None


_PERSONAL = tuple(
    (relation, ActingAs(relation.value)) for relation in (Relation.GUARDIAN, Relation.SPONSOR, Relation.FAMILY_HEAD)
)
"""The relations that open a person's data to another person, in the order they are tried."""
_ESTABLISHMENT = ((Relation.SPONSOR, ActingAs.ESTABLISHMENT),)
"""An establishment stands to people as a sponsor only."""


def required(decision: ActingAs | None, sector: str) -> ActingAs:
    """The capacity a decision grants, or the FORBIDDEN error when it grants none."""
    if decision is None:
        raise forbidden(sector)
    return decision


def forbidden(sector: str) -> RabtError:
    return RabtError(Code.FORBIDDEN, f"You may not read or change this person's {sector} data.", sector=sector)
