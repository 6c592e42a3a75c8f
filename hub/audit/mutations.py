"""Every sector mutation is audited like a read: whose record, by whom, in what capacity, and the
outcome (ok, the refusal's code, or the error's code) — so a person also sees attempts that failed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import strawberry
from strawberry.extensions import FieldExtension

from hub.audit.entries import AuditBatch
from hub.contract import ActingAs, Refusal, SectorContext
from hub.contract.errors import Code, RabtError, SectorUnavailable
from hub.contract.national_id import InvalidId, normalize_id
from hub.data.sectors import WRITING, Writing, is_outage

DENIED = "denied"


class WriteGrants(Protocol):
    def write_grant(self, subject_id: str, sector: str) -> ActingAs | None:
        """The capacity in which the request was allowed to write (None: refused)."""
        ...

    def write_grants(self) -> dict[tuple[str, str], ActingAs]:
        """Every (person, sector) the request was allowed to write, and in what capacity."""
        ...


class AuditedContext(SectorContext, Protocol):
    """What the audit of a mutation reads of the request: the access decisions above this layer."""

    @property
    def access(self) -> WriteGrants: ...

    @property
    def audit(self) -> AuditBatch: ...


AuditedInfo = strawberry.Info[AuditedContext, None]


def _subject(arguments: dict[str, Any]) -> str | None:
    """The person a mutation is about: its `input.personId` (the sector contract's convention)."""
    text = getattr(arguments.get("input"), "person_id", None)
    if not isinstance(text, str):
        return None
    try:
        return normalize_id(text)
    except InvalidId:
        return None  # refused with INVALID_ID before any data was touched: nothing to record


class AuditedMutation(FieldExtension):
    def __init__(self, sector: str) -> None:
        super().__init__()
        self.sector = sector

    def resolve(self, next_: Callable[..., Any], source: Any, info: AuditedInfo, **kwargs: Any) -> Any:
        raise NotImplementedError("mutations resolve asynchronously")

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: AuditedInfo, **kwargs: Any
    ) -> Any:
        subject = _subject(kwargs)
        earlier = frozenset(info.context.access.write_grants())  # another mutation's of the same request
        outcome = "ok"
        writing = Writing(self.sector, subject, info.field_name, earlier=earlier)
        token = WRITING.set(writing)
        try:
            result = await next_(source, info, **kwargs)
        except RabtError as error:
            outcome = error.code.value
            raise
        except Exception as error:
            if is_outage(error):
                # Rolled back, or never begun: the caller may try again.
                outcome = Code.SECTOR_UNAVAILABLE.value
                raise SectorUnavailable(self.sector) from error
            outcome = Code.INTERNAL_ERROR.value
            raise
        else:
            if isinstance(result, Refusal):
                outcome = result.code
            return result
        finally:
            WRITING.reset(token)
            # A write's record was appended with it, in its transaction (hub.audit.outbox), naming
            # everyone it touched (hub.api.writes).
            if not (writing.audited and outcome == "ok"):
                self._note(info, writing, outcome)

    def _note(self, info: AuditedInfo, writing: Writing, outcome: str) -> None:
        """The attempt, in the request's batch: refused, failed, or not audited with a write."""
        context, subject, action = info.context, writing.subject_id, writing.action
        # Someone else the mutation was allowed to write for (a new sponsor consenting to a
        # transfer, in their own right) sees it in their own access log.
        others = {
            (person, sector): granted
            for (person, sector), granted in context.access.write_grants().items()
            if person != subject and (person, sector) not in writing.earlier
        }
        acting_as = context.access.write_grant(subject, self.sector) if subject else None
        if acting_as is not None:
            capacity: str | None = acting_as.value
        elif outcome == Code.FORBIDDEN.value:
            capacity = DENIED
        elif others:  # allowed as another party: its rules read the person's records, refused or not
            capacity = ActingAs.PARTY.value
        else:  # bad input refused before the access decision touched nothing of the person's
            capacity = None
        if subject is not None and capacity is not None:
            context.audit.note(subject, self.sector, capacity, {action}, action=action, outcome=outcome)
        for (person, sector), granted in others.items():
            context.audit.note(person, sector, granted.value, {action}, action=action, outcome=outcome)
        # Someone an individual's mutation found registered by the ID it was given (a buyer, a new
        # sponsor), whatever came of it: the caller learnt that they exist. Officers and services
        # read anyone's identity in their own right.
        if acting_as not in (ActingAs.OFFICER, ActingAs.SERVICE):
            for person in writing.named - {subject, *(person for person, _ in others)}:
                context.audit.note(person, self.sector, ActingAs.PARTY.value, {action}, action=action, outcome=outcome)
