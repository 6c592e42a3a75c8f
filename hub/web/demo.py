"""The embedded demo's callers, and `POST /demo/token`, which signs a token for one of them.

GraphiQL lists the callers and fills a tab's `Authorization` and `X-Purpose` headers (and
`X-On-Behalf-Of` for the caller acting for an establishment) with what the
endpoint answers, so each shipped operation (whose `# Caller:` line names the caller it needs)
runs with one click. The route exists only in demo mode (`Settings.mode`); in production mode it
is not mounted, so it answers 404 like any unknown path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from starlette.requests import Request
from starlette.responses import Response

from hub.access.tokens import TokenIssuer
from hub.accounts.ratelimit import Limit, RateLimiter, enforce
from hub.contract import Sector
from hub.contract.errors import Code, RabtError
from hub.contract.population import DEMO_ESTABLISHMENT, PERSONAS
from hub.contract.principal import Principal, Role
from hub.web.on_behalf import HEADER as ON_BEHALF_OF

TOKEN_PATH = "/demo/token"
TOKEN_TTL = dt.timedelta(hours=1)
TOKENS_PER_CLIENT = Limit(30, 60)  # a visitor clicking through every caller and tab stays well inside it
PURPOSE = "Rabt demo"
STAFF_ID = "1000000008"
"""The person ID the demo's officers and analyst act under (the audit names them by it)."""


@dataclass(frozen=True)
class DemoCaller:
    key: str
    label: str
    principal: Principal


def demo_callers(sectors: Sequence[Sector]) -> tuple[DemoCaller, ...]:
    """Citizen, resident, sponsor, guardian, establishment user, an officer of each sector, analyst:
    in that order."""
    person = {persona.key: persona.id for persona in PERSONAS}

    def individual(key: str, label: str, persona: str) -> DemoCaller:
        return DemoCaller(key, f"{label} ({person[persona]})", Principal(Role.INDIVIDUAL, person_id=person[persona]))

    return (
        individual("citizen", "Citizen with unpaid traffic violations", "unpaid_violations"),
        individual("resident", "Resident, the absconding worker", "absconding_worker"),
        individual("sponsor", "Sponsor of several workers", "sponsor"),
        individual("guardian", f"Guardian of the minor {person['minor_child']}", "family_head"),
        DemoCaller(
            "establishment",
            f"Establishment user ({person['sponsor']} acting for {DEMO_ESTABLISHMENT})",
            Principal(Role.INDIVIDUAL, person_id=person["sponsor"], on_behalf_of=DEMO_ESTABLISHMENT),
        ),
        *(
            DemoCaller(
                f"{sector.name}_officer",
                f"{sector.title_en} officer",
                Principal(Role.OFFICER, person_id=STAFF_ID, sector=sector.name),
            )
            for sector in sectors
        ),
        DemoCaller("analyst", "Analyst (statistics only)", Principal(Role.ANALYST, person_id=STAFF_ID)),
    )


class DemoTokens:
    """`POST /demo/token` with `{"persona": KEY}`: a short-lived token for that demo caller and the
    headers to send it with, rate limited per client address."""

    def __init__(self, callers: Sequence[DemoCaller], signer: TokenIssuer, limiter: RateLimiter) -> None:
        self.callers = {caller.key: caller for caller in callers}
        self.signer = signer
        self.limiter = limiter

    async def issue(self, request: Request) -> Response:
        try:
            await enforce(
                self.limiter,
                "demo_token",
                [("ip", request.client.host if request.client else "unknown", TOKENS_PER_CLIENT)],
            )
        except RabtError as limited:
            headers = {"retry-after": str(TOKENS_PER_CLIENT.window_seconds)}
            return _json({"errors": [{"message": limited.message, "extensions": limited.extensions}]}, 429, headers)
        caller = self.callers.get(await _persona(request) or "")
        if caller is None:
            message = f'POST {{"persona": KEY}} as JSON, KEY one of: {", ".join(self.callers)}.'
            return _json({"errors": [{"message": message, "extensions": {"code": Code.BAD_REQUEST.value}}]}, 400)
        token = self.signer.issue(caller.principal, ttl=TOKEN_TTL)
        headers = {"Authorization": f"Bearer {token}", "X-Purpose": PURPOSE}
        if caller.principal.on_behalf_of:  # a header beside the token, never a claim in it
            headers[ON_BEHALF_OF] = caller.principal.on_behalf_of
        return _json(
            {"persona": caller.key, "expiresInSeconds": int(TOKEN_TTL.total_seconds()), "headers": headers},
            200,
        )


async def _persona(request: Request) -> str | None:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return None
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None
    persona = body.get("persona") if isinstance(body, dict) else None
    return persona if isinstance(persona, str) else None


def _json(body: object, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)
