"""A person's notifications: `me { notifications(first, after) }` and `subscription { notifications }`.

Both answer the signed-in individual alone, about themselves: nobody else, officers included, may
read a person's notifications. A page read is audited as any read of one's own data; a
subscription is audited when it starts (it reads what is pushed to it from then on).
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import strawberry

from hub.api.context import HubInfo
from hub.contract import ActingAs, InLanguage, Language, NoticeKind, described_enum, resolver_field
from hub.contract.errors import Code, RabtError
from hub.contract.principal import Role
from hub.notifications.bus import Bus
from hub.notifications.notices import Notice, newest_first

MAX_PAGE = 100
SECTOR = "notifications"
"""How the audit names the part of a person's data their notifications are."""
READ = frozenset({"notifications"})


@described_enum(
    "What a notification is about.",
    {
        "DOCUMENT_EXPIRING": "A document of yours expires in 30 days, 7 days or tomorrow.",
        "VIOLATION": "A traffic violation was recorded against you.",
        "SERVICE_COMPLETED": (
            "Something was done about your records: a renewal, a visa issued or cancelled, a report received, "
            "a vehicle offered or sold to you, and the like."
        ),
        "ABSCONDING_REPORT": "Your sponsor reported you absent from work (an absconding report).",
    },
)
class NotificationKind(enum.Enum):
    DOCUMENT_EXPIRING = NoticeKind.DOCUMENT_EXPIRING.value
    VIOLATION = NoticeKind.VIOLATION.value
    SERVICE_COMPLETED = NoticeKind.SERVICE_COMPLETED.value
    ABSCONDING_REPORT = NoticeKind.ABSCONDING_REPORT.value


@strawberry.type(description="Something that happened to you, kept for you in Arabic and English.")
class Notification:
    id: strawberry.ID = strawberry.field(description="The notification's id; later ones have greater ids.")
    kind: NotificationKind = strawberry.field(
        description="A document about to expire, a new violation, a service completed, an absconding report."
    )
    sector: str = strawberry.field(description="The sector whose record it is about.")
    message_en: str = strawberry.field(description="The message in English.")
    message_ar: str = strawberry.field(description="The message in Arabic.")
    created_at: dt.datetime = strawberry.field(description="When it was kept (UTC).")

    @resolver_field(description="The message in the language asked for.")
    def message(self, language: InLanguage = Language.EN) -> str:
        return self.message_ar if language is Language.AR else self.message_en


@strawberry.type(description="A page of your notifications, newest first.")
class NotificationPage:
    entries: list[Notification] = strawberry.field(description="Newest first.")
    next_cursor: str | None = strawberry.field(description="Pass as `after` for the next page; null on the last.")


def notification(notice: Notice) -> Notification:
    return Notification(
        id=strawberry.ID(str(notice.id)),
        kind=NotificationKind(notice.kind),
        sector=notice.sector,
        message_en=notice.message_en,
        message_ar=notice.message_ar,
        created_at=notice.created_at,
    )


async def page(info: HubInfo, person_id: str, first: int, after: str | None) -> NotificationPage:
    """`me { notifications }`: the person's own, `first` of them after the cursor `after`."""
    if not 1 <= first <= MAX_PAGE:
        raise RabtError(Code.BAD_USER_INPUT, f"first: between 1 and {MAX_PAGE}.", argument="first")
    before = _decode(after) if after is not None else None
    found = await newest_first(info.context.db, person_id, first + 1, before)
    info.context.audit.note(person_id, SECTOR, ActingAs.SELF.value, READ)
    entries = [notification(notice) for notice in found[:first]]
    more = len(found) > first
    return NotificationPage(entries=entries, next_cursor=_encode(found[first - 1].id) if more else None)


def _encode(notice_id: int) -> str:
    return base64.urlsafe_b64encode(f"notification:{notice_id}".encode()).decode()


def _decode(cursor: str) -> int:
    try:
        kind, notice_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        if kind != "notification":
            raise ValueError(kind)
        return int(notice_id)
    except (ValueError, UnicodeDecodeError):
        raise RabtError(Code.BAD_USER_INPUT, "after: not a cursor this field returned.", argument="after") from None


class NoticeStream:
    """The person's notices as a subscription's source: subscribed before the subscription is
    answered (so nothing published after that is missed), let go when graphql-core closes it."""

    def __init__(self, bus: Bus, person_id: str) -> None:
        self._subscription: AbstractAsyncContextManager[AsyncIterator[Notice]] = bus.subscribe(person_id)
        self._notices: AsyncIterator[Notice] | None = None

    async def open(self) -> NoticeStream:
        self._notices = await self._subscription.__aenter__()
        return self

    def __aiter__(self) -> NoticeStream:
        return self

    async def __anext__(self) -> Notification:
        assert self._notices is not None
        return notification(await self._notices.__anext__())

    async def aclose(self) -> None:
        if self._notices is not None:
            self._notices = None
            await self._subscription.__aexit__(None, None, None)


async def notifications(info: HubInfo) -> AsyncIterator[Notification]:
    principal = info.context.principal
    if principal.role is not Role.INDIVIDUAL or principal.person_id is None:
        raise RabtError(
            Code.UNAUTHENTICATED, "Sign in as an individual: notifications are pushed to their own person only."
        )
    info.context.audit.note(principal.person_id, SECTOR, ActingAs.SELF.value, READ, action="subscribe")
    return await NoticeStream(info.context.bus, principal.person_id).open()


def subscription_fields() -> dict[str, strawberry.types.field.StrawberryField]:
    return {
        "notifications": strawberry.subscription(
            notifications,
            description=(
                "Your notifications as they are kept (over graphql-transport-ws, the token in connection_init's "
                "payload as `authorization: Bearer <token>`). Only the signed-in individual, about themselves: "
                "UNAUTHENTICATED for anyone else."
            ),
        )
    }
