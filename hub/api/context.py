"""The typed per-request context every resolver receives as `info.context`: it satisfies the
sectors' `hub.contract.SectorContext`; the hub's own resolvers use the rest."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import strawberry
from aiodataloader import DataLoader
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionSetNode,
)
from sqlalchemy.ext.asyncio import AsyncSession

from hub.access.gate import Gate
from hub.access.policy import Access
from hub.accounts.ratelimit import RateLimiter
from hub.accounts.services import AccountServices
from hub.api.inquiries import count_inquiry, note_inquiry
from hub.api.relay import notices_text, relay_before_answer
from hub.api.writes import OpenWrite, write_to_audit
from hub.audit.entries import AuditBatch
from hub.audit.outbox import Write, WriteWatch, append_in
from hub.audit.relay import outbox_in
from hub.contract import (
    ActingAs,
    Blocker,
    Check,
    Code,
    Keyed,
    NewPerson,
    NoticeKind,
    RabtError,
    Refusal,
    Rules,
    Service,
    blocked,
    insert_new,
)
from hub.contract.calendar import riyadh_today
from hub.contract.idempotency import decode_answer, encode_answer, fingerprint, key_of, reused
from hub.contract.loading import Loads
from hub.contract.national_id import with_check_digit
from hub.contract.new_people import FIRST_DIGIT
from hub.contract.principal import Principal
from hub.contract.provenance import as_of_now
from hub.data import idempotency
from hub.data.batches import BatchLoader, KeyReads
from hub.data.db import Database
from hub.data.sectors import WRITING, Stores
from hub.identity.loaders import known_id
from hub.identity.models import PersonRow
from hub.notifications.bus import Bus, LocalBus, publish_quietly
from hub.notifications.notices import NewNotice, Notice, keep

T = TypeVar("T")
P = TypeVar("P")


class Peers(Protocol):
    """Other sectors' checks, asked of those sectors' own parts (`hub.web.peer_checks`)."""

    def owner(self, name: str) -> str | None:
        """The sector that answers check `name`, or None when no enabled sector declares it."""

    async def ask(self, sector: str, asked: Sequence[tuple[str, str]], request_id: str) -> list[Blocker | None]:
        """Each (check, person)'s blocker; SectorUnavailable when `sector` does not answer."""

    def holds(self, sector: str) -> bool:
        """Whether this part holds `sector`'s data (its services' rules run here)."""

    async def rules(self, service: Service, person_id: str, item: str | None, request_id: str) -> list[Blocker]:
        """Every blocker of `service` now, from its sector's part; SectorUnavailable when it does not answer."""


@dataclass
class RequestContext:
    db: Database
    reads: KeyReads  # where this request's loaders read (hub.data.request_reads.RequestReads)
    principal: Principal
    gate: Gate
    request_id: str
    operation_name: str | None = None
    client_ip: str | None = None
    accounts: AccountServices | None = None
    clock: Callable[[], dt.date] = riyadh_today
    read_at: dt.datetime = field(default_factory=as_of_now)  # what every `source { asOf }` tells
    checks: Mapping[str, Check] = field(default_factory=dict)  # those whose data this part holds, by name
    peers: Peers | None = None  # where the other sectors' checks are asked; None: this part holds them all
    limiter: RateLimiter | None = None  # public inquiries' windows; None: this part answers none
    bus: Bus = field(default_factory=LocalBus)  # where notices kept by this request's writes are pushed
    _open: OpenWrite | None = None  # the notices and people of the transaction open now, if one is
    stores: Stores | None = None  # each sector's database and fault; None: everything in `db`
    _loaders: dict[Loads[Any, Any], DataLoader[Any, Any]] = field(default_factory=dict)
    _asking: dict[str, DataLoader[tuple[str, str], Blocker | None]] = field(default_factory=dict)
    _selections: dict[tuple[int, ...], frozenset[str]] = field(default_factory=dict)

    def load(self, loads: Loads[Any, T], key: Any) -> asyncio.Future[T]:
        """`loads` for one key, batched with every other key queued before the batch goes: the
        key is queued now, the value comes when the future is awaited.

        Loaders live for one request only: aiodataloader binds to the running loop and never
        expires its cache, so a loader shared between requests would serve stale rows.
        """
        loader = self._loaders.get(loads)
        if loader is None:
            loader = self._loaders[loads] = BatchLoader(loads, self.reads)
        return loader.load(key)

    def selected_fields(self, info: GraphQLResolveInfo[Any]) -> frozenset[str]:
        """The names of the fields selected under the current field (fragments expanded), from
        graphql-core's info (a `hub.contract.direct` field's).

        Cached per field node: strawberry's `info.selected_fields` rebuilds the AST on every call,
        which is measurable when a list of 100 people asks for the same selection.
        """
        # Keyed by every node of the merged field: a fragment's node can stand first in two
        # different merges (`a: person { ...F }` and `b: person { ...F visas }`).
        key = tuple(id(node) for node in info.field_nodes)
        found = self._selections.get(key)
        if found is None:
            names: set[str] = set()
            for field_node in info.field_nodes:
                collect_field_names(field_node.selection_set, info.fragments, names)
            found = self._selections[key] = frozenset(names)
        return found

    def forget_loaded(self) -> None:
        """After a write: later reads in the same request must see it."""
        self._loaders.clear()
        self._asking.clear()

    @property
    def access(self) -> Access:
        return self.gate.access

    @property
    def audit(self) -> AuditBatch:
        return self.gate.audit

    def today(self) -> dt.date:
        return self.clock()

    def as_of(self) -> dt.datetime:
        return self.read_at

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """On the database of the sector whose mutation is running (`hub.audit.mutations`)."""
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        if self._open is not None:
            raise RuntimeError("a mutation opens one transaction at a time")
        writing, stores = WRITING.get(), self.stores
        if stores is not None and writing is not None:
            await stores.enter(writing.sector)
        db = self._database()
        kept: list[Notice] = []
        outboxed: dict[str, Any] | None = None
        async with db.transaction() as session:
            watch = WriteWatch(session)
            opened = self._open = OpenWrite()
            try:
                yield session
                grants = self.access.write_grants()
                write = await write_to_audit(session, watch, writing, opened, grants, self.principal)
                if db is not self.db:
                    outboxed = await self._outbox_with(session, write, opened.notices)
                else:
                    if opened.notices:
                        kept = await keep(session, opened.notices, dt.datetime.now(dt.UTC))
                    if write is not None and writing is not None:
                        # The write and its record commit together or not at all.
                        await append_in(session, write, self.principal, self.request_id, self.operation_name)
                        writing.audited = True
            finally:
                self._open = None
        if outboxed is not None and writing is not None:
            # Committed with its record (audited: never again as a failure), relayed before the
            # answer. Shielded: a client that goes away does not leave the row to the next round.
            writing.audited = True
            kept = await asyncio.shield(relay_before_answer(self.db, db, outboxed, self.request_id))
        await publish_quietly(self.bus, kept)  # committed: now the person may hear of it

    def _database(self) -> Database:
        """Where the running mutation's transaction opens: its sector's database, else the hub's."""
        writing = WRITING.get()
        return self.stores.database(writing.sector) if self.stores is not None and writing is not None else self.db

    def notify(self, sector: str, person_id: str, kind: NoticeKind, message_en: str, message_ar: str) -> None:
        if self._open is None:
            raise RuntimeError("notify() belongs inside context.transaction(), with the write it tells of")
        self._open.notices.append(NewNotice(person_id, sector, kind.value, message_en, message_ar))
        self._open.touch(person_id)  # told of the write: a party to it

    def touches(self, *person_ids: str) -> None:
        if self._open is None:
            raise RuntimeError("touches() belongs inside context.transaction(), with the write it names")
        for person_id in person_ids:
            self._open.touch(person_id)

    async def _outbox_with(
        self, session: AsyncSession, write: Write | None, notices: list[NewNotice]
    ) -> dict[str, Any] | None:
        """A sector apart: the mutation's audit record and its notices, in an outbox row of the
        sector's database written in its own transaction (hub/audit/relay.py); relayed after it."""
        if write is None:
            if notices:
                raise RuntimeError("a sector apart keeps notices only with an audited write: they travel together")
            return None
        return await outbox_in(
            session, write, self.principal, self.request_id, self.operation_name, notices_text(notices)
        )

    async def require_write(self, person_id: str, sector: str, *, allow: frozenset[ActingAs]) -> ActingAs:
        return await self.access.require_write(person_id, sector, allow=allow)

    async def acting_for(self) -> str | None:
        return await self.gate.access.acting_for()

    async def check(self, name: str, person_id: str) -> Blocker | None:
        found = self.checks.get(name)
        if found is not None:
            # In the log of the person read (a dependant, maybe), as a sector part audits a check.
            self.audit.note(person_id, name.partition(".")[0], ActingAs.SERVICE, {name})
            return found.blocker(await self.load(found.loads, person_id))
        sector = self.peers.owner(name) if self.peers is not None else None
        if sector is None:
            return Rules(name.partition(".")[0], UNAVAILABLE)("SECTOR_UNAVAILABLE")
        return await self._asked_of(sector).load((name, person_id))

    def _asked_of(self, sector: str) -> DataLoader[tuple[str, str], Blocker | None]:
        """The request's checks asked of `sector`'s part: the keys queued in one turn go in one call."""
        loader = self._asking.get(sector)
        if loader is None:
            peers = self.peers
            assert peers is not None

            async def ask(keys: Sequence[tuple[str, str]]) -> list[Blocker | None]:
                return await peers.ask(sector, keys, self.request_id)

            loader = self._asking[sector] = DataLoader(ask, max_batch_size=PEER_BATCH)
        return loader

    async def rules(self, service: Service, person_id: str, item: str | None = None) -> list[Blocker]:
        """`service.rules` where this part holds the service's sector's data; else its sector's part's answer."""
        if self.peers is None or self.peers.holds(service.sector):
            return await service.rules(self, person_id, item)
        return await self.peers.rules(service, person_id, item, self.request_id)

    async def once(
        self,
        data: Keyed,
        answer: type[P],
        work: Callable[[AsyncSession], Awaitable[P | Refusal]],
        *,
        rules: Callable[[], Awaitable[list[Blocker]]] | None = None,
    ) -> P | Refusal:
        key = key_of(data)
        caller = self.caller
        if key is not None:
            replayed = await self._replayed(caller, key, data, answer)
            if replayed is not None:
                return replayed
        if rules is not None:
            blockers = await rules()
            if blockers:
                return blocked(blockers)
        try:
            async with self.transaction() as session:
                if key is not None:
                    stands_for = fingerprint(data, _mutation())
                    await idempotency.claim(session, caller, key, stands_for, dt.datetime.now(dt.UTC))
                result = await work(session)
                if key is not None:
                    kept = None if isinstance(result, Refusal) else encode_answer(result).decode()
                    await idempotency.keep(session, caller, key, kept)
        except idempotency.KeyTaken as taken:
            # A concurrent request with the same key committed first: its answer is this one's; a
            # key another sector's mutation holds (a row this sector's role may not see) is reused.
            replayed = await self._replayed(caller, taken.key, data, answer)
            if replayed is None:
                raise reused() from None
            return replayed
        self.forget_loaded()
        return result

    async def _replayed(self, caller: str, key: str, data: Keyed, answer: type[P]) -> P | None:
        found = await idempotency.kept(self._database(), caller, key)
        if found is None or found.answer is None:
            return None
        if found.fingerprint != fingerprint(data, _mutation()):
            raise reused()
        return decode_answer(answer, found.answer.encode())

    @property
    def caller(self) -> str:
        """Whose idempotency keys these are: the person, the officer in their sector, the client."""
        principal = self.principal
        caller = f"{principal.actor}:{principal.sector}" if principal.sector else principal.actor
        # What a user does for an establishment is the establishment's: its own keys, apart from theirs.
        return f"{caller}@{principal.on_behalf_of}" if principal.on_behalf_of else caller

    async def inquire(self) -> None:
        if self.limiter is None:
            raise RuntimeError("this request context has no rate limiter for public inquiries")
        await count_inquiry(self.limiter, self.client_ip)

    def inquired(self, name: str, person_id: str, sector: str, fields: frozenset[str]) -> None:
        note_inquiry(self.audit, name, person_id, sector, fields)

    async def register_person(self, session: AsyncSession, person: NewPerson) -> str:
        first = FIRST_DIGIT[person.kind]
        values = dict(
            kind=person.kind.value,
            name_ar=person.name_ar,
            name_en=person.name_en,
            sex=person.sex,
            birth_on=person.birth_on,
            nationality=person.nationality,
            mobile=None,
        )
        drawn = await insert_new(
            session, PersonRow, values, "id", lambda: with_check_digit(f"{first}{secrets.randbelow(10**8):08d}")
        )
        if self._open is not None:
            self._open.touch(str(drawn["id"]))  # a new person's first data: the write's
        return str(drawn["id"])

    async def require_known_person(self, person_id: str, argument: str = "personId") -> None:
        if await self.load(known_id, person_id) is None:
            raise RabtError(Code.NOT_FOUND, "No person with this ID is registered.", argument=argument)
        if (writing := WRITING.get()) is not None:
            writing.named.add(person_id)

    def finish(self) -> AuditBatch:
        """The request is answered: its audit batch, taken out, and the rows its loaders read let
        go. graphql-core 3.3's execution context refers to itself (its `async_helpers` hold its own
        bound methods), so it lives until the collector's next full pass, and this context with it:
        everything still held here would wait as long (measured: ~2,500 objects a 100-person answer,
        RSS +13 MB over 90 s of them on one worker). A resolver still running after the answer
        notes into a fresh batch, never written: what it read was not in the answer."""
        audit = self.gate.forget()
        self._loaders.clear()
        self._asking.clear()
        self._selections.clear()
        return audit


def collect_field_names(
    selection_set: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode], into: set[str]
) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value != "__typename":
                into.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            collect_field_names(selection.selection_set, fragments, into)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                collect_field_names(fragment.selection_set, fragments, into)


UNAVAILABLE = {
    "SECTOR_UNAVAILABLE": (
        "This sector cannot answer a rule of this service now; try again later.",
        "لا يمكن لهذه الجهة التحقق من أحد شروط الخدمة الآن؛ حاول لاحقاً.",
        "Try again later.",
        "أعد المحاولة لاحقاً.",
    )
}
"""A check no enabled sector answers blocks: a rule is never taken as met without its answer."""

PEER_BATCH = 100
"""Checks asked of another sector's part in one call, at most (its /checks takes no more)."""

HubInfo = strawberry.Info[RequestContext, None]
"""The `info` of the hub's own resolvers."""


def _mutation() -> str:
    """The mutation this request is running (the field `hub.audit.mutations` wraps): a key stands
    for it too."""
    writing = WRITING.get()
    return writing.action if writing is not None else ""
