"""The one gate into a person's data: the decision, the refusal, the audit note.

Opening a person's sector (identity included) is always `Gate.open`: decided by the policy
(`Access`), refused with FORBIDDEN, or granted and noted in the request's audit batch with the
fields read. The general path opens gates field by field as graphql-core resolves them; the
compiled path plans which gates a document opens, decides them together (`decide_all`), and opens
each with the same function, so neither restates a rule.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

from hub.access.policy import UNDECIDED, Access, Undecided, forbidden
from hub.audit.entries import AuditBatch, AuditKey
from hub.contract import ActingAs
from hub.contract.access import sector_of
from hub.contract.principal import Role


class _Sectors(dict[str, str]):
    """Each field group's sector (`identity:details` -> `identity`), looked up rather than computed:
    a 100-person answer opens ~400 gates. The groups are the code's, a few: it stays small."""

    def __missing__(self, group: str) -> str:
        sector = self[group] = sector_of(group)
        return sector


_SECTORS = _Sectors()


class Gate:
    """One request's gate. `audit` is the batch the request's reads are noted in."""

    def __init__(self, access: Access, audit: AuditBatch | None = None) -> None:
        self.access = access
        self.audit = audit if audit is not None else AuditBatch()

    def decided(self, subject_id: str, sector: str) -> ActingAs | Undecided | None:
        """The decision when it needs no read (the caller's role, their own data, decided before),
        else `UNDECIDED`."""
        return self.access.granted(subject_id, sector)

    async def decide(self, subject_id: str, sector: str) -> ActingAs | None:
        return await self.access.grant(subject_id, sector)

    async def decide_all(self, wanted: Sequence[tuple[str, str]]) -> list[ActingAs | None]:
        """Each (person, sector) decided; an individual's relations are read in one batch."""
        access = self.access
        if access.principal.role is not Role.INDIVIDUAL:
            by_sector = {sector: access.grant_by_role(sector) for sector in {sector for _, sector in wanted}}
            return [by_sector[sector] for _, sector in wanted]
        if len(wanted) > 1:
            return list(await asyncio.gather(*(access.grant(subject, sector) for subject, sector in wanted)))
        return [await access.grant(subject, sector) for subject, sector in wanted]

    def open(
        self, subject_id: str, sector: str, decision: ActingAs | None, fields: frozenset[str] | set[str]
    ) -> ActingAs:
        """Opens `sector` of `subject_id` for `fields` on `decision`: FORBIDDEN when it grants
        nothing, else the read is noted for that person and the capacity returned."""
        if decision is None:
            raise forbidden(sector_of(sector))
        # `AuditBatch.note` for a read, inline: a 100-person answer opens ~400 gates (`.value` is a property)
        key = tuple.__new__(AuditKey, (subject_id, _SECTORS[sector], decision._value_, "read", "ok"))
        entries = self.audit.entries
        entries[key] = entries[key] | fields if key in entries else frozenset(fields)
        return decision

    def opening(
        self, subject_id: str, sector: str, fields: frozenset[str] | set[str]
    ) -> ActingAs | Awaitable[ActingAs]:
        """`open` after deciding: at once when the decision needs no read (so graphql-core has
        nothing to await), else an awaitable."""
        decision = self.access.granted(subject_id, sector)
        if decision is UNDECIDED:
            return self._open_after_deciding(subject_id, sector, fields)
        return self.open(subject_id, sector, decision, fields)

    async def _open_after_deciding(self, subject_id: str, sector: str, fields: frozenset[str] | set[str]) -> ActingAs:
        return self.open(subject_id, sector, await self.access.grant(subject_id, sector), fields)

    def forget(self) -> AuditBatch:
        """The request is answered: its batch taken out, its decisions let go."""
        audit, self.audit = self.audit, AuditBatch()
        self.access.forget()
        return audit
