"""Rules asked across the federated shape. A sector's subgraph reads its own sector's tables only
(`hub.cli.db_roles`), so a rule of another sector's (passports' iqama renewal needs traffic's "no
unpaid violations") is asked of that sector's own subgraph: `POST /checks` with the checks' names
and people, signed as a part-to-part call (`GatewaySignature.sign_part`), answered with each
check's blocker or none. The sector that owns a rule evaluates it, with its own loaders, on its own
data; the asking part batches every check of a request per sector (`RequestContext.check`).

A sector that cannot answer (not configured, unreachable, slower than the sector budget, its data
down, an answer that is not one) is SECTOR_UNAVAILABLE for that sector, as when the all-in-one hub
cannot read that sector's tables: a rule is never taken as met without its answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.api.context import PEER_BATCH
from hub.api.federation import subgraphs
from hub.api.schema import IDENTITY_SUBGRAPH
from hub.contract import Blocker, Check, RabtError, Sector, parse_person_id
from hub.contract.errors import SectorUnavailable
from hub.data.batches import BatchLoader
from hub.data.db import Database
from hub.data.request_reads import RequestReads
from hub.data.sectors import Stores, is_outage
from hub.settings import Settings
from hub.web.gateway_signature import GatewaySignature, SignatureRefused

log = logging.getLogger("rabt.peers")

CHECKS_PATH = "/checks"
MOST_ASKED = PEER_BATCH
MOST_BODY = 64 * 1024
_FIELDS = ("sector", "code", "message", "message_ar", "resolve_by", "resolve_by_ar")


class PeerChecks:
    """Where this part asks the checks of sectors whose data it does not hold: each such check's
    owning sector (`owners`, from the manifests) and that sector's subgraph (`urls`, its base URL)."""

    def __init__(
        self,
        owners: Mapping[str, str],
        urls: Mapping[str, str],
        signature: GatewaySignature,
        budget: float | None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._owners = dict(owners)
        self._urls = {sector: url.rstrip("/").removesuffix("/graphql") for sector, url in urls.items()}
        self._signature = signature
        self._budget = budget
        self._client = client or httpx.AsyncClient(timeout=budget, follow_redirects=False)

    def owner(self, name: str) -> str | None:
        """The sector whose subgraph answers check `name`, or None when no enabled sector declares it."""
        return self._owners.get(name)

    def missing(self) -> list[str]:
        """The sectors asked of here that have no subgraph URL."""
        return sorted(set(self._owners.values()) - self._urls.keys())

    async def ask(self, sector: str, asked: Sequence[tuple[str, str]], request_id: str) -> list[Blocker | None]:
        """Each (check, person)'s blocker, from `sector`'s subgraph; SectorUnavailable when it does not say."""
        url = self._urls.get(sector)
        if url is None:
            log.warning("request %s: no subgraph URL for %s (RABT_%s_SUBGRAPH_URL)", request_id, sector, sector.upper())
            raise SectorUnavailable(sector)
        body = orjson.dumps({"asked": [{"check": name, "person": person} for name, person in asked]})
        headers = {
            "content-type": "application/json",
            "x-request-id": request_id,
            **self._signature.sign_part(CHECKS_PATH, body),
        }
        try:
            async with asyncio.timeout(self._budget):
                response = await self._client.post(url + CHECKS_PATH, content=body, headers=headers)
            return _answered(sector, response, len(asked))
        except (httpx.HTTPError, TimeoutError, ValueError) as error:
            log.warning(
                "request %s: %s's checks not answered (%s: %s)", request_id, sector, type(error).__name__, error
            )
            raise SectorUnavailable(sector) from error

    async def aclose(self) -> None:
        await self._client.aclose()


def _answered(sector: str, response: httpx.Response, count: int) -> list[Blocker | None]:
    """The blockers of a 200 answer, one per check asked, each of `sector`'s own; ValueError else."""
    if response.status_code != 200:
        raise ValueError(f"HTTP {response.status_code}")
    parsed = orjson.loads(response.content)
    found = parsed.get("blockers") if isinstance(parsed, dict) else None
    if not isinstance(found, list) or len(found) != count:
        raise ValueError("not one answer per check asked")
    blockers: list[Blocker | None] = []
    for item in found:
        if item is None:
            blockers.append(None)
            continue
        if not isinstance(item, dict) or not all(isinstance(item.get(name), str) for name in _FIELDS):
            raise ValueError("a blocker without its fields")
        if item["sector"] != sector:  # a sector answers for its own rules only
            raise ValueError(f"a blocker of {item['sector']!r}")
        blockers.append(Blocker(**{name: item[name] for name in _FIELDS}))
    return blockers


class ChecksEndpoint:
    """`POST /checks` on a sector's subgraph: its own checks, for the other parts only.

    Body `{"asked": [{"check": "traffic.unpaid_violations", "person": "2…"}, …]}` (at most
    MOST_ASKED), signed (`x-rabt-part-signature`); answer `{"blockers": [null | {sector, code,
    message, message_ar, resolve_by, resolve_by_ar}, …]}` in the order asked. Unsigned, forged or
    expired: 401 PART_SIGNATURE_REQUIRED; not such a body, or a check this sector does not own: 400;
    its data unreadable within the sector budget: 503 SECTOR_UNAVAILABLE."""

    def __init__(self, checks: Mapping[str, Check], signature: GatewaySignature, db: Database, stores: Stores) -> None:
        self.checks = dict(checks)
        self.signature = signature
        self.db = db
        self.stores = stores

    async def answer(self, request: Request) -> Response:
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MOST_BODY:
            return _refused(411 if not length.isdigit() else 413, "BAD_REQUEST", "A body of known, small length only.")
        body = await request.body()
        try:
            self.signature.part(CHECKS_PATH, request.headers, body)
        except SignatureRefused as error:
            log.warning("refused a /checks call from %s: %s", request.client.host if request.client else "?", error)
            return _refused(401, "PART_SIGNATURE_REQUIRED", "Only the parts of this deployment ask checks.")
        try:
            asked = self._asked(body)
        except (ValueError, RabtError) as error:
            return _refused(400, "BAD_REQUEST", str(error))
        try:
            blockers = await self._evaluate(asked)
        except Exception as error:
            if not is_outage(error):
                raise
            return _refused(503, "SECTOR_UNAVAILABLE", "This sector cannot read its data now.")
        answer = [None if b is None else {name: getattr(b, name) for name in _FIELDS} for b in blockers]
        return Response(orjson.dumps({"blockers": answer}), media_type="application/json")

    def _asked(self, body: bytes) -> list[tuple[Check, str]]:
        parsed = orjson.loads(body)
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
        return asked

    async def _evaluate(self, asked: Sequence[tuple[Check, str]]) -> list[Blocker | None]:
        """Every check's loads batched as one request's are: one statement per loader."""
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


def _refused(status: int, code: str, message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status, media_type="application/json")


def peer_checks(
    sectors: Sequence[Sector], subgraph: str | None, settings: Settings, signature: GatewaySignature | None
) -> PeerChecks | None:
    """Where a sector's subgraph (`signature`: the deployment's secret) asks the other sectors'
    checks; None for the all-in-one hub, which holds every sector's data, and for identity, which
    serves no service. On the demo a sector without RABT_<SECTOR>_SUBGRAPH_URL is asked at its
    local subgraph's port (`hub.api.federation.subgraphs`)."""
    if subgraph in (None, IDENTITY_SUBGRAPH) or signature is None:
        return None
    owners = {check.name: sector.name for sector in sectors if sector.name != subgraph for check in sector.checks}
    urls = settings.subgraph_urls(sorted(set(owners.values())))
    if not settings.is_production:
        local = {graph.name: graph.url for graph in subgraphs(sectors)}
        urls = {sector: urls.get(sector, local[sector]) for sector in set(owners.values())}
    peers = PeerChecks(owners, urls, signature, settings.sector_budget)
    for sector in peers.missing():
        log.warning(
            "%s asks %s's checks but RABT_%s_SUBGRAPH_URL is not set: its rules will answer SECTOR_UNAVAILABLE",
            subgraph,
            sector,
            sector.upper(),
        )
    return peers


def checks_route(
    answered: Mapping[str, Check], signature: GatewaySignature | None, db: Database, stores: Stores
) -> list[Route]:
    """POST /checks on a subgraph (`signature`) that answers checks of its own; nothing elsewhere."""
    if not answered or signature is None:
        return []
    return [Route(CHECKS_PATH, ChecksEndpoint(answered, signature, db, stores).answer, methods=["POST"])]
