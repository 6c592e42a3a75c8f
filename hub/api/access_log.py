"""`me { accessLog }`: a person sees who read or changed their data, when, in which sector and why
(as Estonia's Data Tracker shows its citizens)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types.field import StrawberryField

from hub.api import notifications as inbox
from hub.api.context import HubInfo
from hub.audit.reading import AuditEntry, expand, touching
from hub.contract import PersonRef, person_ref, resolver_field
from hub.contract.errors import Code, RabtError
from hub.contract.principal import Role

MAX_PAGE = 100
First = Annotated[int, strawberry.argument(description=f"How many to answer, 1 to {MAX_PAGE}.")]
After = Annotated[
    str | None, strawberry.argument(description="The `nextCursor` of the page before; omitted for the first page.")
]
IncludeOwn = Annotated[bool, strawberry.argument(description="Also list your own reads of your data.")]


@strawberry.type(description="One request that read or changed your data.")
class AccessLogEntry:
    at: dt.datetime = strawberry.field(description="When (UTC).")
    actor: str = strawberry.field(description="Who: `individual:<ID>`, `officer:<ID>` or `service:<client>`.")
    role: str = strawberry.field(description="The caller's role: individual, officer, analyst or service.")
    acting_as: str = strawberry.field(
        description=(
            "In which capacity: self, guardian, sponsor, family_head, establishment, officer or service; party: "
            "another party to a write of yours (a buyer accepting your vehicle, a worker consenting to leave you)."
        )
    )
    sector: str = strawberry.field(description="Which part of your data: identity, passports, traffic, …")
    fields: list[str] = strawberry.field(description="Which fields were read or written, sorted.")
    action: str = strawberry.field(description="`read`, or the name of the mutation.")
    outcome: str = strawberry.field(description="`ok`, or the code of the refusal.")
    purpose: str | None = strawberry.field(description="The purpose the officer or service stated.")
    on_behalf_of: str | None = strawberry.field(
        description=(
            "The establishment (المنشأة) the caller acted for as one of its authorised users, by its unified "
            "number (الرقم الموحد, 7…); null when they acted for themself."
        )
    )
    operation: str | None = strawberry.field(description="The GraphQL operation name the caller sent.")


@strawberry.type(description="A page of your access log, newest first.")
class AccessLogPage:
    entries: list[AccessLogEntry] = strawberry.field(description="Newest first.")
    next_cursor: str | None = strawberry.field(description="Pass as `after` for the next page; null on the last.")


@strawberry.type(description="The signed-in individual.")
class Me:
    person_id: strawberry.Private[str]

    @resolver_field(description="Your own record.")
    def person(self) -> PersonRef:
        return person_ref(self.person_id)

    @resolver_field(
        description=(
            f"Who accessed your data, newest first, at most {MAX_PAGE} a page. Your own reads are left out "
            "unless `includeOwn` is true. Looking at this log is not itself logged."
        )
    )
    async def access_log(
        self, info: HubInfo, first: First = 20, after: After = None, include_own: IncludeOwn = False
    ) -> AccessLogPage:
        if not 1 <= first <= MAX_PAGE:
            raise RabtError(Code.BAD_USER_INPUT, f"first: between 1 and {MAX_PAGE}.", argument="first")
        position = _decode(after) if after is not None else None
        # The index, and the records it does not cover yet: a read shows as soon as it was answered.
        # Every indexed record found holds at least one entry to show: first + 1 of them (and the one
        # the cursor points into) are enough to fill the page and know whether another follows. The
        # tail's records (newest, few) may show none.
        statement = touching(
            self.person_id,
            others_only=not include_own,
            at_most=position[0] if position is not None else None,
            indexed_limit=first + 2,
        )
        shown: list[tuple[AuditEntry, int]] = []  # each entry, with its place among its record's
        for record in await info.context.db.fetch(statement):
            mine = [e for e in expand(record, self.person_id) if include_own or e.acting_as != "self"]
            skip = position[1] if position is not None and record.id == position[0] else 0
            shown.extend((entry, place) for place, entry in enumerate(mine, 1) if place > skip)
        entries = [
            AccessLogEntry(
                at=entry.at,
                actor=entry.actor,
                role=entry.role,
                acting_as=entry.acting_as,
                sector=entry.sector,
                fields=list(entry.fields),
                action=entry.action,
                outcome=entry.outcome,
                purpose=entry.purpose,
                on_behalf_of=entry.on_behalf_of,
                operation=entry.operation,
            )
            for entry, _ in shown[:first]
        ]
        last, place = shown[first - 1] if len(shown) > first else (None, 0)
        return AccessLogPage(entries=entries, next_cursor=_encode(last.audit_id, place) if last else None)

    @resolver_field(
        description=(
            f"What happened to you (a document about to expire, a new violation, a service completed, an "
            f"absconding report), newest first, at most {inbox.MAX_PAGE} a page. Only you read them: "
            "nobody else, officers included, has this field. `subscription { notifications }` pushes new ones."
        )
    )
    async def notifications(self, info: HubInfo, first: First = 20, after: After = None) -> inbox.NotificationPage:
        return await inbox.page(info, self.person_id, first, after)


def _encode(audit_id: int, place: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{audit_id}:{place}".encode()).decode()


def _decode(cursor: str) -> tuple[int, int]:
    """The record a page ended in, and how many of its entries that page showed."""
    try:
        kind, audit_id, place = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        if kind != "audit":
            raise ValueError(kind)
        return int(audit_id), int(place)
    except (ValueError, UnicodeDecodeError):
        raise RabtError(Code.BAD_USER_INPUT, "after: not a cursor this field returned.", argument="after") from None


def me(info: HubInfo) -> Me | None:
    principal = info.context.principal
    if principal.role is not Role.INDIVIDUAL or principal.person_id is None:
        return None
    if info.context.access.own_person is None:  # acting for an establishment (hub.access.policy)
        raise RabtError(
            Code.FORBIDDEN, "Acting for an establishment reads nothing of your own: ask without X-On-Behalf-Of."
        )
    return Me(person_id=principal.person_id)


def fields() -> dict[str, StrawberryField]:
    return {
        "me": strawberry.field(
            me,
            description=(
                "The signed-in individual (null for anyone else): their record, access log and notifications. "
                "FORBIDDEN while acting for an establishment (X-On-Behalf-Of)."
            ),
        )
    }
