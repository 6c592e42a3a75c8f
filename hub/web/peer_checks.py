"""Rules asked across the federated shape. A sector's subgraph reads its own sector's tables only
(`hub.cli.db_roles`), so a rule of another sector's (passports' iqama renewal needs traffic's "no
unpaid violations") is asked of that sector's own subgraph: `POST /checks` with the checks' names
and people, signed as a part-to-part call (`GatewaySignature.sign_part`), answered with each
check's blocker or none. The sector that owns a rule evaluates it, with its own loaders, on its own
data; the asking part batches every check of a request per sector (`RequestContext.check`).

A sector that cannot answer (not configured, unreachable, slower than the sector budget, its data
down, an answer that is not one) is SECTOR_UNAVAILABLE for that sector, as when the all-in-one hub
cannot read that sector's tables: a rule is never taken as met without its answer.

Budgets nest (docs/operations.md, "Budgets, outages and health"): a call waits its own budget cut
to what is left of the asking request's deadline (`hub.data.sectors.within`), and tells the part it
asks, in the signed body (`within`), that wait less `HOP`: the answering part cuts its own budgets to
it, so a slow sector three parts down is reported as itself before anyone above stops waiting. A
call takes a slot of the answering part's `RABT_MAX_IN_FLIGHT` and carries the trace (`traceparent`)
and the request id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.access.gate import Gate
from hub.access.policy import Access
from hub.api.context import PEER_BATCH, RequestContext
from hub.api.federation import subgraphs
from hub.api.schema import IDENTITY_SUBGRAPH
from hub.contract import Blocker, Check, RabtError, Sector, Service, parse_person_id
from hub.contract.errors import SectorUnavailable
from hub.contract.principal import ANONYMOUS
from hub.data.batches import BatchLoader
from hub.data.db import Database
from hub.data.request_reads import RequestReads
from hub.data.sectors import PART_DEADLINE, Stores, is_outage, within
from hub.settings import Settings
from hub.telemetry import traces
from hub.web.gateway_signature import GatewaySignature, SignatureRefused
from hub.web.in_flight import InFlight
from hub.web.request_id import request_id_of

log = logging.getLogger("rabt.peers")

T = TypeVar("T")
CHECKS_PATH = "/checks"
RULES_PATH = "/rules"
MOST_ASKED = PEER_BATCH
MOST_BODY = 64 * 1024
_FIELDS = ("sector", "code", "message", "message_ar", "resolve_by", "resolve_by_ar")
HOP = 0.5  # seconds a caller keeps for an answer's way back, out of what it tells the part it asks
MOST_WITHIN = 60.0


def part_deadline(outer: float) -> float:
    """What a part behind a caller that waits `outer` seconds gives its own work: `outer` less a HOP."""
    return max(0.0, outer - HOP)


class PeerChecks:
    """Where this part (`own`: its sector's subgraph, None for identity) asks what other sectors
    answer: each check's owning sector (`owners`, from the manifests), and each sector's subgraph
    (`urls`, its base URL)."""

    def __init__(
        self,
        owners: Mapping[str, str],
        urls: Mapping[str, str],
        signature: GatewaySignature,
        budget: float | None,
        client: httpx.AsyncClient | None = None,
        own: str | None = None,
    ) -> None:
        self._owners = dict(owners)
        self._urls = {sector: url.rstrip("/").removesuffix("/graphql") for sector, url in urls.items()}
        self._signature = signature
        self._budget = budget
        self._client = client or httpx.AsyncClient(timeout=None, follow_redirects=False)
        self._own = own

    def owner(self, name: str) -> str | None:
        """The sector whose subgraph answers check `name`, or None when no enabled sector declares it."""
        return self._owners.get(name)

    def holds(self, sector: str) -> bool:
        return sector == self._own

    async def ask(self, sector: str, asked: Sequence[tuple[str, str]], request_id: str) -> list[Blocker | None]:
        """Each (check, person)'s blocker, from `sector`'s subgraph; SectorUnavailable when it does not say."""
        payload = {"asked": [{"check": name, "person": person} for name, person in asked]}
        return await self._call(
            sector, CHECKS_PATH, payload, request_id, self._budget, lambda answer: _blockers(sector, answer, len(asked))
        )

    async def rules(self, service: Service, person_id: str, item: str | None, request_id: str) -> list[Blocker]:
        """Every blocker of `service` now, from its sector's subgraph (which may ask another's
        checks within its own budget: twice the sector budget here)."""
        payload = {"service": service.name, "person": person_id, "item": item}
        budget = None if self._budget is None else 2 * self._budget
        found = await self._call(
            service.sector, RULES_PATH, payload, request_id, budget, lambda answer: _blockers(None, answer, None)
        )
        return [blocker for blocker in found if blocker is not None]

    async def _call(
        self,
        sector: str,
        path: str,
        payload: Mapping[str, Any],
        request_id: str,
        budget: float | None,
        parse: Callable[[Any], T],
    ) -> T:
        """`parse` of `sector`'s part's answer to a signed call; SectorUnavailable when it gives none."""
        url = self._urls.get(sector)
        if url is None:
            log.warning("request %s: no subgraph URL for %s (RABT_%s_SUBGRAPH_URL)", request_id, sector, sector.upper())
            raise SectorUnavailable(sector)
        budget = within(budget)
        body = orjson.dumps(payload if budget is None else {**payload, "within": part_deadline(budget)})
        headers = {"content-type": "application/json", "x-request-id": request_id, **traces.outgoing()}
        headers |= self._signature.sign_part(path, body)
        try:
            async with asyncio.timeout(budget):
                response = await self._client.post(url + path, content=body, headers=headers)
            answer = orjson.loads(response.content)
            if response.status_code != 200:
                # A part that could not ask a third sector names it: that one is unavailable.
                raise SectorUnavailable(_unavailable(answer, self._urls) or sector)
            return parse(answer)
        except (httpx.HTTPError, TimeoutError, ValueError) as error:
            log.warning(
                "request %s: %s's %s not answered (%s: %s)", request_id, sector, path, type(error).__name__, error
            )
            raise SectorUnavailable(sector) from error

    def missing(self, sectors: Iterable[str]) -> list[str]:
        """Those of `sectors` this part has no subgraph URL for."""
        return sorted(set(sectors) - self._urls.keys())

    async def aclose(self) -> None:
        await self._client.aclose()


def _unavailable(answer: Any, known: Mapping[str, str]) -> str | None:
    """The sector a 503 answer says is unavailable, when it names a known one."""
    try:
        named = answer["errors"][0]["extensions"]["sector"]
    except (KeyError, IndexError, TypeError):
        return None
    return named if named in known else None


def _blockers(sector: str | None, answer: Any, count: int | None) -> list[Blocker | None]:
    """The blockers of an answer (`count` of them, when given), each of `sector`'s own (when
    given); ValueError else."""
    found = answer.get("blockers") if isinstance(answer, dict) else None
    if not isinstance(found, list) or (count is not None and len(found) != count):
        raise ValueError("not one answer per check asked")
    blockers: list[Blocker | None] = []
    for item in found:
        if item is None:
            blockers.append(None)
            continue
        if not isinstance(item, dict) or not all(isinstance(item.get(name), str) for name in _FIELDS):
            raise ValueError("a blocker without its fields")
        if sector is not None and item["sector"] != sector:  # a sector answers for its own rules only
            raise ValueError(f"a blocker of {item['sector']!r}")
        blockers.append(Blocker(**{name: item[name] for name in _FIELDS}))
    return blockers


class PartEndpoints:
    """What a sector's subgraph answers the other parts of the deployment only, each call signed
    (`x-rabt-part-signature`) for its path and body; unsigned, forged or expired: 401
    PART_SIGNATURE_REQUIRED; not such a body, or a check or service this sector does not own: 400;
    its data (or a sector it asks in turn) unreadable within the budget: 503 SECTOR_UNAVAILABLE
    naming that sector. Every answer is `{"blockers": [null | {sector, code, message, message_ar,
    resolve_by, resolve_by_ar}, …]}`.

    `POST /checks` `{"asked": [{"check": "traffic.unpaid_violations", "person": "2…"}, …]}` (at
    most MOST_ASKED): each check's blocker or null, in the order asked, its loads batched.
    `POST /rules` `{"service": "RENEW_IQAMA", "person": "2…", "item": null}`: every blocker of one of
    its services now, as the service's mutation would refuse with (identity's `eligibility`)."""

    def __init__(
        self,
        sector: str,
        services: Sequence[Service],
        checks: Mapping[str, Check],
        signature: GatewaySignature,
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
        self.signature = signature
        self.db, self.stores, self.peers, self.today = db, stores, peers, today

    def routes(self) -> list[Route]:
        found = [Route(CHECKS_PATH, self.answer_checks, methods=["POST"])] if self.checks else []
        return found + ([Route(RULES_PATH, self.answer_rules, methods=["POST"])] if self.services else [])

    async def answer_checks(self, request: Request) -> Response:
        return await self._answer(request, CHECKS_PATH, self._checks)

    async def answer_rules(self, request: Request) -> Response:
        return await self._answer(request, RULES_PATH, self._rules)

    async def _answer(
        self, request: Request, path: str, work: Callable[[Any, str], Awaitable[list[Blocker | None]]]
    ) -> Response:
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MOST_BODY:
            return _refused(411 if not length.isdigit() else 413, "BAD_REQUEST", "A body of known, small length only.")
        body = await request.body()
        try:
            self.signature.part(path, request.headers, body)
        except SignatureRefused as error:
            log.warning("refused a %s call from %s: %s", path, request.client.host if request.client else "?", error)
            return _refused(401, "PART_SIGNATURE_REQUIRED", "Only the parts of this deployment call here.")
        request_id = request_id_of(request.headers.get("x-request-id"))
        try:
            parsed = orjson.loads(body)
            given = _within(parsed)
            # Counted with this part's GraphQL executions: a part's call is work like any other.
            # The parts' own budgets end at the deadline given (PART_DEADLINE), and report the
            # innermost failure; this outer one, a little later, only stops what ignores them.
            async with self.in_flight.running(1), asyncio.timeout(None if given is None else given + HOP / 2):
                token = PART_DEADLINE.set(None if given is None else asyncio.get_running_loop().time() + given)
                try:
                    blockers = await work(parsed, request_id)
                finally:
                    PART_DEADLINE.reset(token)
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
        answer = [None if b is None else {name: getattr(b, name) for name in _FIELDS} for b in blockers]
        return Response(orjson.dumps({"blockers": answer}), media_type="application/json")

    async def _checks(self, parsed: Any, request_id: str) -> list[Blocker | None]:
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

    async def _rules(self, parsed: Any, request_id: str) -> list[Blocker | None]:
        """The service's rules with a context of this part's own: its loaders, checks and peers.
        Nothing is audited here: the part that decided who may ask audits the question."""
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


def peer_checks(
    sectors: Sequence[Sector], subgraph: str | None, settings: Settings, signature: GatewaySignature | None
) -> PeerChecks | None:
    """Where a subgraph (`signature`: the deployment's secret) asks what other sectors answer: a
    sector's, the other sectors' checks; identity, every service's rules (`eligibility`). None for
    the all-in-one hub, which holds every sector's data. On the demo a sector without
    RABT_<SECTOR>_SUBGRAPH_URL is asked at its local subgraph's port (`hub.api.federation.subgraphs`)."""
    if subgraph is None or signature is None:
        return None
    owners = {check.name: sector.name for sector in sectors if sector.name != subgraph for check in sector.checks}
    if subgraph == IDENTITY_SUBGRAPH:
        asked = {sector.name for sector in sectors if sector.services}
    else:
        asked = set(owners.values())
    urls = settings.subgraph_urls(sorted(asked))
    if not settings.is_production:
        local = {graph.name: graph.url for graph in subgraphs(sectors)}
        urls = {sector: urls.get(sector, local[sector]) for sector in asked}
    own = None if subgraph == IDENTITY_SUBGRAPH else subgraph
    peers = PeerChecks(owners, urls, signature, settings.sector_budget, own=own)
    for sector in peers.missing(asked):
        log.warning(
            "%s asks %s's rules but RABT_%s_SUBGRAPH_URL is not set: they will answer SECTOR_UNAVAILABLE",
            subgraph,
            sector,
            sector.upper(),
        )
    return peers


def part_routes(
    sectors: Sequence[Sector],
    subgraph: str | None,
    signature: GatewaySignature | None,
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
    return PartEndpoints(sector.name, sector.services, checks, signature, db, stores, peers, today, in_flight).routes()
