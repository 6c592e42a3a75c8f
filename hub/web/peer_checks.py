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

The answering side (`hub.web.part_endpoints`) admits only the parts with reason to ask, and audits
every answer before giving it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import httpx
import orjson

from hub.api.context import PEER_BATCH
from hub.api.federation import subgraphs
from hub.api.schema import IDENTITY_SUBGRAPH
from hub.contract import Blocker, Sector, Service
from hub.contract.errors import SectorUnavailable
from hub.data.sectors import within
from hub.settings import Settings
from hub.telemetry import traces
from hub.web.gateway_signature import GatewaySignature

log = logging.getLogger("rabt.peers")

T = TypeVar("T")
CHECKS_PATH = "/checks"
RULES_PATH = "/rules"
MOST_ASKED = PEER_BATCH
MOST_BODY = 64 * 1024
BLOCKER_FIELDS = ("sector", "code", "message", "message_ar", "resolve_by", "resolve_by_ar")
HOP = 0.5  # seconds a caller keeps for an answer's way back, out of what it tells the part it asks
MOST_WITHIN = 60.0


def part_deadline(outer: float) -> float:
    """What a part behind a caller that waits `outer` seconds gives its own work: `outer` less a HOP."""
    return max(0.0, outer - HOP)


class PeerChecks:
    """Where this part (`part`: its sector's name, or identity's) asks what other sectors
    answer: each check's owning sector (`owners`, from the manifests), and each sector's subgraph
    (`urls`, its base URL)."""

    def __init__(
        self,
        owners: Mapping[str, str],
        urls: Mapping[str, str],
        signature: GatewaySignature,
        budget: float | None,
        client: httpx.AsyncClient | None = None,
        *,
        part: str,
    ) -> None:
        self._owners = dict(owners)
        self._urls = {sector: url.rstrip("/").removesuffix("/graphql") for sector, url in urls.items()}
        self._signature = signature
        self._budget = budget
        self._client = client or httpx.AsyncClient(timeout=None, follow_redirects=False)
        self._own = part

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
        headers |= self._signature.sign_part(path, body, self._own)
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
        if not isinstance(item, dict) or not all(isinstance(item.get(name), str) for name in BLOCKER_FIELDS):
            raise ValueError("a blocker without its fields")
        if sector is not None and item["sector"] != sector:  # a sector answers for its own rules only
            raise ValueError(f"a blocker of {item['sector']!r}")
        blockers.append(Blocker(**{name: item[name] for name in BLOCKER_FIELDS}))
    return blockers


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
    peers = PeerChecks(owners, urls, signature, settings.sector_budget, part=subgraph)
    for sector in peers.missing(asked):
        log.warning(
            "%s asks %s's rules but RABT_%s_SUBGRAPH_URL is not set: they will answer SECTOR_UNAVAILABLE",
            subgraph,
            sector,
            sector.upper(),
        )
    return peers
