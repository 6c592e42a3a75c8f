"""What a sector's subgraph answers the other parts of the deployment (`hub.web.peer_checks` asks
it): POST /checks and /rules, each call signed by the part that asks, admitted only from a part
that has reason to ask, and audited before it is answered, as every read of personal data is."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.access.gate import Gate
from hub.access.policy import Access
from hub.api.context import RequestContext
from hub.api.schema import IDENTITY_SUBGRAPH
from hub.audit.entries import AuditBatch
from hub.audit.writer import AuditWriter
from hub.contract import Blocker, Check, RabtError, Sector, Service, parse_person_id
from hub.contract.access import ActingAs
from hub.contract.errors import SectorUnavailable
from hub.contract.principal import ANONYMOUS, Principal, Role
from hub.data.batches import BatchLoader
from hub.data.db import Database
from hub.data.request_reads import RequestReads
from hub.data.sectors import PART_DEADLINE, Stores, is_outage
from hub.web.gateway_signature import GatewaySignature, SignatureRefused
from hub.web.in_flight import InFlight
from hub.web.peer_checks import (
    BLOCKER_FIELDS,
    CHECKS_PATH,
    HOP,
    MOST_ASKED,
    MOST_BODY,
    MOST_WITHIN,
    RULES_PATH,
    PeerChecks,
)
from hub.web.request_id import request_id_of

log = logging.getLogger("rabt.peers")

Work = Callable[[Any, str, str, AuditBatch], Awaitable[list[Blocker | None]]]


class NotAdmitted(Exception):
    """The part that asks has no reason to ask this (403 PART_NOT_ADMITTED)."""


def part_principal(asker: str, path: str) -> Principal:
    """Whom the answering part's audit names for a part's call: `service:part:<asker>`, reading in
    the `service` capacity, for the purpose `<asker> asked <path>`."""
    return Principal(Role.SERVICE, client=f"part:{asker}", purpose=f"{asker} asked {path}")


class PartEndpoints:
    """What a sector's subgraph answers the other parts of the deployment only, each call signed
    (`x-rabt-part-signature`) for its path, its asker and its body; unsigned, forged or expired: 401
    PART_SIGNATURE_REQUIRED; signed by a part with no reason to ask it (/rules: any but identity;
    /checks: a check no service of the asking part's sector declares in `Service.asks`): 403
    PART_NOT_ADMITTED; not such a body, or a check or service this sector does not own: 400; its
    data (or a sector it asks in turn) unreadable within the budget: 503 SECTOR_UNAVAILABLE naming
    that sector. Every answer is `{"blockers": [null | {sector, code, message, message_ar,
    resolve_by, resolve_by_ar}, …]}`, given only once its audit record is written: one record per
    call, under the request id the asker sent (x-request-id), naming each person asked about, this
    sector, the checks' names (/checks) or the service's (/rules), `service:part:<asker>` as the
    actor, in the `service` capacity (so each person's access log shows that a part asked).

    `POST /checks` `{"asked": [{"check": "traffic.unpaid_violations", "person": "2…"}, …]}` (at
    most MOST_ASKED): each check's blocker or null, in the order asked, its loads batched.
    `POST /rules` `{"service": "RENEW_IQAMA", "person": "2…", "item": null}`: every blocker of one of
    its services now, as the service's mutation would refuse with (identity's `eligibility`)."""

    def __init__(
        self,
        sector: str,
        services: Sequence[Service],
        checks: Mapping[str, Check],
        askers: Mapping[str, frozenset[str]],
        signature: GatewaySignature,
        audit: AuditWriter,
        db: Database,
        stores: Stores,
        peers: PeerChecks | None,
        today: Callable[[], dt.date],
        in_flight: InFlight,
    ) -> None:
        self.sector = sector
        self.in_flight = in_flight
        self.services = {service.name: service for service in services}
        self.checks = dict(checks)
        self.askers = dict(askers)  # each check's name: the parts that may ask it
        self.signature, self.audit = signature, audit
        self.db, self.stores, self.peers, self.today = db, stores, peers, today

    def routes(self) -> list[Route]:
        found = [Route(CHECKS_PATH, self.answer_checks, methods=["POST"])] if self.checks else []
        return found + ([Route(RULES_PATH, self.answer_rules, methods=["POST"])] if self.services else [])

    async def answer_checks(self, request: Request) -> Response:
        return await self._answer(request, CHECKS_PATH, self._checks)

    async def answer_rules(self, request: Request) -> Response:
        return await self._answer(request, RULES_PATH, self._rules)

    async def _answer(self, request: Request, path: str, work: Work) -> Response:
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MOST_BODY:
            return _refused(411 if not length.isdigit() else 413, "BAD_REQUEST", "A body of known, small length only.")
        body = await request.body()
        try:
            asker = self.signature.part(path, request.headers, body)
        except SignatureRefused as error:
            log.warning("refused a %s call from %s: %s", path, request.client.host if request.client else "?", error)
            return _refused(401, "PART_SIGNATURE_REQUIRED", "Only the parts of this deployment call here.")
        request_id = request_id_of(request.headers.get("x-request-id"))
        batch = AuditBatch()
        try:
            parsed = orjson.loads(body)
            given = _within(parsed)
            # Counted with this part's GraphQL executions: a part's call is work like any other.
            # The parts' own budgets end at the deadline given (PART_DEADLINE), and report the
            # innermost failure; this outer one, a little later, only stops what ignores them.
            async with self.in_flight.running(1), asyncio.timeout(None if given is None else given + HOP / 2):
                token = PART_DEADLINE.set(None if given is None else asyncio.get_running_loop().time() + given)
                try:
                    blockers = await work(parsed, asker, request_id, batch)
                finally:
                    PART_DEADLINE.reset(token)
        except NotAdmitted as error:
            log.warning("request %s: refused %s's %s call: %s", request_id, asker, path, error)
            return _refused(403, "PART_NOT_ADMITTED", str(error))
        except TimeoutError:
            return _refused(503, "SECTOR_UNAVAILABLE", "This sector could not answer in time.", self.sector)
        except (ValueError, RabtError) as error:
            if isinstance(error, SectorUnavailable):
                return _refused(503, "SECTOR_UNAVAILABLE", str(error), error.sector)
            return _refused(400, "BAD_REQUEST", str(error))
        except Exception as error:
            if not is_outage(error):
                raise
            return _refused(503, "SECTOR_UNAVAILABLE", "This sector cannot read its data now.", self.sector)
        # Answered only once the record is durable: an audit that cannot be written is no answer.
        try:
            await self.audit.write(batch, part_principal(asker, path), request_id, path)
        except Exception:
            log.exception("request %s: %s's %s call not audited: not answered", request_id, asker, path)
            return _refused(503, "SECTOR_UNAVAILABLE", "This sector cannot audit an answer now.", self.sector)
        answer = [None if b is None else {name: getattr(b, name) for name in BLOCKER_FIELDS} for b in blockers]
        return Response(orjson.dumps({"blockers": answer}), media_type="application/json")

    async def _checks(self, parsed: Any, asker: str, request_id: str, batch: AuditBatch) -> list[Blocker | None]:
        """Every check's loads batched as one request's are: one statement per loader."""
        items = parsed.get("asked") if isinstance(parsed, dict) else None
        if not isinstance(items, list) or not 0 < len(items) <= MOST_ASKED:
            raise ValueError(f"asked: 1 to {MOST_ASKED} checks")
        asked = []
        for item in items:
            name, person = (item.get("check"), item.get("person")) if isinstance(item, dict) else (None, None)
            check = self.checks.get(name) if isinstance(name, str) else None
            if check is None or not isinstance(person, str):
                raise ValueError("asked: each a check of this sector's and a person")
            asked.append((check, parse_person_id(person, "person")))
        for check, _ in asked:
            if asker not in self.askers.get(check.name, frozenset()):
                raise NotAdmitted(f"{check.name}: asked by no service of {asker}'s")
        fields: defaultdict[str, set[str]] = defaultdict(set)
        for check, person in asked:
            fields[person].add(check.name)
        for person, names in fields.items():
            batch.note(person, self.sector, ActingAs.SERVICE, names)
        reads = RequestReads(self.db.rows, self.stores)
        loaders: dict[Any, BatchLoader] = {}
        try:
            futures: list[Any] = []
            for check, person in asked:
                loader = loaders.get(check.loads)
                if loader is None:
                    loader = loaders[check.loads] = BatchLoader(check.loads, reads)
                futures.append(loader.load(person))
            values = await asyncio.gather(*futures)
        finally:
            await reads.close()
        return [check.blocker(value) for (check, _), value in zip(asked, values, strict=True)]

    async def _rules(self, parsed: Any, asker: str, request_id: str, batch: AuditBatch) -> list[Blocker | None]:
        """The service's rules with a context of this part's own: its loaders, checks and peers.
        Identity alone asks: it decided that its caller may ask, and audited the question."""
        if asker != IDENTITY_SUBGRAPH:
            raise NotAdmitted(f"a service's rules are asked by {IDENTITY_SUBGRAPH} only")
        if not isinstance(parsed, dict) or not isinstance(parsed.get("person"), str):
            raise ValueError("a service, a person and an item (or null)")
        named, item = parsed.get("service"), parsed.get("item")
        service = self.services.get(named) if isinstance(named, str) else None
        if (
            service is None
            or (item is not None and not isinstance(item, str))
            or (item is None) != (service.item is None)
        ):
            raise ValueError("service: one of this sector's, with its item if it acts on one")
        person = parse_person_id(parsed["person"], "person")
        key = service.item_key(item, "item") if item is not None else None
        batch.note(person, self.sector, ActingAs.SERVICE, {service.name})
        reads = RequestReads(self.db.rows, self.stores)
        access = Access(ANONYMOUS, self.db, (), self.today, stores=self.stores)
        context = RequestContext(
            db=self.db,
            reads=reads,
            principal=ANONYMOUS,
            gate=Gate(access),
            request_id=request_id,
            checks=self.checks,
            peers=self.peers,
            clock=self.today,
            stores=self.stores,
        )
        try:
            return list(await service.rules(context, person, key))
        finally:
            await reads.close()
            context.finish()


def _within(parsed: Any) -> float | None:
    """The seconds the asking part waits for this answer (`within`, HOP kept back), or None."""
    given = parsed.get("within") if isinstance(parsed, dict) else None
    if given is None:
        return None
    if isinstance(given, bool) or not isinstance(given, int | float) or not 0 <= given <= MOST_WITHIN:
        raise ValueError(f"within: seconds, 0 to {MOST_WITHIN:g}")
    return float(given)


def _refused(status: int, code: str, message: str, sector: str | None = None) -> Response:
    extensions = {"code": code} if sector is None else {"code": code, "sector": sector}
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return Response(orjson.dumps(body), status, media_type="application/json")


def askers_of(sectors: Sequence[Sector], owner: str) -> dict[str, frozenset[str]]:
    """Each of `owner`'s checks, and the other sectors whose services' rules ask it (`Service.asks`)."""
    found: defaultdict[str, set[str]] = defaultdict(set)
    for sector in sectors:
        for service in sector.services:
            for name in service.asks:
                if sector.name != owner:
                    found[name].add(sector.name)
    return {name: frozenset(parts) for name, parts in found.items()}


def part_routes(
    sectors: Sequence[Sector],
    subgraph: str | None,
    signature: GatewaySignature | None,
    audit: AuditWriter,
    db: Database,
    stores: Stores,
    peers: PeerChecks | None,
    today: Callable[[], dt.date],
    in_flight: InFlight,
) -> list[Route]:
    """POST /checks and /rules on a sector's subgraph (`signature`), for what it owns; nothing elsewhere."""
    own = [sector for sector in sectors if sector.name == subgraph]
    if signature is None or not own:
        return []
    (sector,) = own
    checks = {check.name: check for check in sector.checks}
    askers = askers_of(sectors, sector.name)
    endpoints = PartEndpoints(
        sector.name, sector.services, checks, askers, signature, audit, db, stores, peers, today, in_flight
    )
    return endpoints.routes()
