"""`me { accessLog }`: a person sees who read or changed their data, when, in which sector and why
(as Estonia's Data Tracker shows its citizens)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import select
from strawberry.types.field import StrawberryField

from hub.audit import AuditRow
from hub.contract import Info, person_ref
from hub.errors import Code, RabtError
from hub.principal import Role

if TYPE_CHECKING:
    from hub.person import Person

PersonType = Annotated["Person", strawberry.lazy("hub.person")]
MAX_PAGE = 100


@strawberry.type(description="One request that read or changed your data.")
class AccessLogEntry:
    at: dt.datetime = strawberry.field(description="When (UTC).")
    actor: str = strawberry.field(description="Who: `individual:<ID>`, `officer:<ID>` or `service:<client>`.")
    role: str = strawberry.field(description="The caller's role: individual, officer, analyst or service.")
    acting_as: str = strawberry.field(description="In which capacity: self, guardian, sponsor, officer or service.")
    sector: str = strawberry.field(description="Which part of your data: identity, passports, traffic, …")
    fields: list[str] = strawberry.field(description="Which fields were read or written, sorted.")
    action: str = strawberry.field(description="`read`, or the name of the mutation.")
    outcome: str = strawberry.field(description="`ok`, or the code of the refusal.")
    purpose: str | None = strawberry.field(description="The purpose the officer or service stated.")
    operation: str | None = strawberry.field(description="The GraphQL operation name the caller sent.")


@strawberry.type(description="A page of your access log, newest first.")
class AccessLogPage:
    entries: list[AccessLogEntry] = strawberry.field(description="Newest first.")
    next_cursor: str | None = strawberry.field(description="Pass as `after` for the next page; null on the last.")


@strawberry.type(description="The signed-in individual.")
class Me:
    person_id: strawberry.Private[str]

    @strawberry.field(description="Your own record.")
    def person(self) -> PersonType:
        return person_ref(self.person_id)  # type: ignore[return-value]

    @strawberry.field(
        description=(
            f"Who accessed your data, newest first, at most {MAX_PAGE} a page. Your own reads are left out "
            "unless `includeOwn` is true. Looking at this log is not itself logged."
        )
    )
    async def access_log(
        self, info: Info, first: int = 20, after: str | None = None, include_own: bool = False
    ) -> AccessLogPage:
        if not 1 <= first <= MAX_PAGE:
            raise RabtError(Code.BAD_USER_INPUT, f"first: between 1 and {MAX_PAGE}.", argument="first")
        statement = select(
            AuditRow.id,
            AuditRow.at,
            AuditRow.actor,
            AuditRow.role,
            AuditRow.acting_as,
            AuditRow.sector,
            AuditRow.fields,
            AuditRow.action,
            AuditRow.outcome,
            AuditRow.purpose,
            AuditRow.operation,
        ).where(AuditRow.subject_id == self.person_id)
        if not include_own:
            statement = statement.where(AuditRow.acting_as != "self")
        if after is not None:
            statement = statement.where(AuditRow.id < _decode(after))
        rows = await info.context.db.fetch(statement.order_by(AuditRow.id.desc()).limit(first + 1))
        entries = [
            AccessLogEntry(
                at=row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC),
                actor=row.actor,
                role=row.role,
                acting_as=row.acting_as,
                sector=row.sector,
                fields=row.fields.split(",") if row.fields else [],
                action=row.action,
                outcome=row.outcome,
                purpose=row.purpose,
                operation=row.operation,
            )
            for row in rows[:first]
        ]
        return AccessLogPage(entries=entries, next_cursor=_encode(rows[first - 1].id) if len(rows) > first else None)


def _encode(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{row_id}".encode()).decode()


def _decode(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "audit":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise RabtError(Code.BAD_USER_INPUT, "after: not a cursor this field returned.", argument="after") from None


def me(info: Info) -> Me | None:
    principal = info.context.principal
    if principal.role is not Role.INDIVIDUAL or principal.person_id is None:
        return None
    return Me(person_id=principal.person_id)


def fields() -> dict[str, StrawberryField]:
    return {
        "me": strawberry.field(
            resolver=me, description="The signed-in individual (null for anyone else): their record and access log."
        )
    }
