"""Whom a mutation's write is audited for: the person it is about, everyone it touched (a vehicle's
buyer, a worker's sponsor, a newborn and the other parent) and everyone the caller was allowed to
write for in it, each in the capacity the caller acted in toward them. One record names them all,
appended in the write's transaction (hub/audit/outbox.py) or relayed with it (hub/audit/relay.py),
so each of them sees the write in their own access log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.outbox import Write, WriteWatch
from hub.contract import ActingAs
from hub.contract.principal import Principal
from hub.data.sectors import Writing
from hub.notifications.notices import NewNotice

ON_BEHALF = frozenset({ActingAs.OFFICER, ActingAs.SERVICE, ActingAs.ESTABLISHMENT})
"""Capacities that hold toward everyone a write touches: an officer's, a service's, or an authorised
user's acting for an establishment (toward the establishment, the sponsor, too)."""


class UngrantedWrite(RuntimeError):
    """A mutation wrote a person's data without having been allowed to write for anyone."""


@dataclass
class OpenWrite:
    """The transaction a mutation has open: the notices it keeps and the people it touches, in order."""

    notices: list[NewNotice] = field(default_factory=list)
    touched: dict[str, None] = field(default_factory=dict)

    def touch(self, person_id: str) -> None:
        self.touched.setdefault(person_id, None)


async def write_to_audit(
    session: AsyncSession,
    watch: WriteWatch,
    writing: Writing | None,
    opened: OpenWrite,
    grants: Mapping[tuple[str, str], ActingAs],
    principal: Principal,
) -> Write | None:
    """The write the mutation's transaction is about to commit, when it wrote anything of a
    person's and was not audited yet (None: nothing to audit with it)."""
    if writing is None or writing.audited:
        return None
    await session.flush()
    if not watch.wrote:
        return None  # a refusal decided inside the block: nothing written, audited after the answer
    return write_of(writing, opened.touched, grants, principal)


def write_of(
    writing: Writing,
    touched: Mapping[str, None],
    grants: Mapping[tuple[str, str], ActingAs],
    principal: Principal,
) -> Write:
    """The write, naming first the person it is about (or the first the caller was allowed to
    write for), then every other person it touched or the caller was allowed to write for in it.
    A person touched without a grant of their own is named in the capacity of an officer or a
    service the caller wrote in, else as themself (the caller) or as a party to the write. A write
    for which the caller was allowed to write for nobody is a sector's bug (it wrote without asking
    `require_write`): refused, so that it rolls back rather than commit unaudited."""
    people = [writing.subject_id] if writing.subject_id is not None else []
    named = dict.fromkeys((person, writing.sector) for person in [*people, *touched])
    named.update(dict.fromkeys(key for key in grants if key not in writing.earlier))
    granted = [grants[key] for key in named if key in grants]
    if not granted:
        raise UngrantedWrite(f"{writing.action} wrote in {writing.sector} without a write grant for anyone")
    behalf = next((capacity for capacity in granted if capacity in ON_BEHALF), None)

    def capacity(person: str, sector: str) -> str:
        found = grants.get((person, sector)) or behalf
        if found is not None:
            return found.value
        return ActingAs.SELF.value if person == principal.person_id else ActingAs.PARTY.value

    keys = sorted(named, key=lambda key: key not in grants)  # stable: a granted one first
    (person, sector), *others = keys
    return Write(
        person,
        sector,
        capacity(person, sector),
        writing.action,
        tuple((other, where, capacity(other, where)) for other, where in others),
    )
